import Foundation

/// Makes sure OpenBLAS runs its fast kernels on CPUs it does not recognise.
///
/// Debian's OpenBLAS 0.3.21 takes some current Xeons for a "Prescott" (SSE3-era) CPU and then
/// runs sgemm at a fraction of the machine's speed. The kernel family is fixed when the library
/// loads, so the only remedy is the OPENBLAS_CORETYPE variable set before the process starts:
/// when the user has not set it and the chosen kernels are older than what the CPU supports,
/// the process sets it and re-executes itself once. A user's own OPENBLAS_CORETYPE always wins.
public enum BLASKernelSelection {
    static let guardVariable = "CHARLSTM_BLAS_REEXEC"

    /// Call first thing in `main`, before any BLAS work: it may replace the process.
    public static func chooseFastKernelsIfMisdetected() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[guardVariable] == nil else { return }
        let chosen = BLAS.kernelName.lowercased()
        let flags = cpuFlags()
        let wanted: String
        if flags.contains("avx512f") && flags.contains("avx512bw") {
            guard !["skylakex", "cooperlake", "sapphirerapids"].contains(chosen) else { return }
            wanted = "SkylakeX"
        } else if flags.contains("avx2") && flags.contains("fma") {
            guard !["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"].contains(chosen) else { return }
            wanted = "Haswell"
        } else {
            return
        }
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        setenv(guardVariable, "1", 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // execv only returns on failure: carry on with the kernels we have.
        #endif
    }

    private static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
    }
}
