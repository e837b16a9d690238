import Foundation

/// libFuzzer's driver (compiler-rt's `libclang_rt.fuzzer`, linked by `-sanitize=fuzzer`): it runs
/// the callback on its corpus and on mutations of it, guided by the coverage the build records.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// The target's check of one input, set once by `fuzz(_:)` before libFuzzer starts.
nonisolated(unsafe) private var checkInput: (UnsafeRawBufferPointer) -> Void = { _ in }

/// The entry point libFuzzer's own `main` would call; ours calls it through `LLVMFuzzerRunDriver`.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    checkInput(UnsafeRawBufferPointer(start: data, count: count))
    return 0
}

/// Runs libFuzzer with this process's command line (`-max_total_time=60 corpus/ seeds/`, a file
/// to replay, …) over `check`, which asserts the parser's contract on one input and traps
/// (`fuzzFailure`) when it is broken. Returns libFuzzer's exit status.
public func fuzz(_ check: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    checkInput = check
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// A broken contract: the message on stderr, then a trap, which libFuzzer reports as a crash
/// and saves the input for (`crash-<sha1>`).
public func fuzzFailure(_ message: @autoclosure () -> String) -> Never {
    FileHandle.standardError.write(Data(("contract broken: " + message() + "\n").utf8))
    fatalError("contract broken")
}

/// Scratch files to remove when libFuzzer ends the process.
nonisolated(unsafe) private var scratchPaths: [String] = []

/// A scratch file for parsers that read from a path: the input is written to it before each check.
/// It lives in memory (/dev/shm) where there is one, so millions of inputs never touch a disk.
public struct ScratchFile {
    public let path: String

    public init(named name: String) {
        let folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
        path = (folder as NSString).appendingPathComponent("charlstm-fuzz-\(getpid())-\(name)")
        if scratchPaths.isEmpty { atexit { scratchPaths.forEach { unlink($0) } } }
        scratchPaths.append(path)
    }

    /// Replaces the file's contents with `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { fuzzFailure("cannot write the scratch file \(path)") }
        defer { close(descriptor) }
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fuzzFailure("cannot write the scratch file \(path)") }
            done += n
        }
    }
}
