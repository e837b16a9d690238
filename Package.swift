// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Release builds of the math get `-Ounchecked`: the hot loops index buffers whose bounds are
/// established once per kernel call, and per-element bounds checks cost ~2x in the gate kernels.
/// The C kernels are always optimised and, on x86-64, compiled for the CPU that builds them (the
/// project is built from source where it runs), so they use AVX2/AVX-512. `CHARLSTM_MARCH`
/// names another x86-64 level instead (x86-64-v3 is AVX2 + FMA): `Benchmarks/compare.py --isa
/// avx2` builds with it, in its own build folder, to measure the AVX2 kernels on an AVX-512 host.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
#if arch(x86_64)
let march = ProcessInfo.processInfo.environment["CHARLSTM_MARCH"] ?? "native"
let vectorC: [CSetting] = [.unsafeFlags(["-O3", "-march=\(march)"])]
#else
let vectorC: [CSetting] = [.unsafeFlags(["-O3"])]
#endif

let package = Package(
    name: "CharLSTM",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "charlstm", targets: ["charlstm"]),
        // The public Swift API: what other programs import, and what the charlstm executable
        // itself is built on (its commands convert their options and call it).
        .library(name: "CharLSTM", targets: ["CharLSTM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target CharLSTM` builds the library's DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
        // charlstm serve's HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
    ],
    targets: [
        // System libraries: OpenBLAS's CBLAS (libopenblas-dev) and GNU readline (libreadline-dev).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"]), .brew(["readline"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Open MPI, loaded at run time only under mpirun (Sources/CMPI/include/cmpi.h says why it
        // is not a system library): a machine without it builds and runs everything else.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "MessagePassing", dependencies: ["CMPI"]),

        .target(name: "CKernels", cSettings: vectorC),
        .target(name: "Kernels", dependencies: ["CBLAS", "CKernels"], swiftSettings: fastMath),
        .target(name: "Tokenization", swiftSettings: fastMath),
        .target(name: "Console"),
        // The model itself. Not named Network: that is the name of Apple's networking framework,
        // which swift-nio-transport-services and Hummingbird import wherever `canImport(Network)`.
        .target(name: "RecurrentNetwork", dependencies: ["Kernels"], path: "Sources/Network", swiftSettings: fastMath),
        .target(name: "Checkpoints", dependencies: ["RecurrentNetwork", "Tokenization"]),
        .target(name: "Training", dependencies: ["RecurrentNetwork", "Tokenization", "Checkpoints", "Kernels", "Sampling", "Console"],
                swiftSettings: fastMath),
        .target(name: "Sampling", dependencies: ["RecurrentNetwork", "Tokenization", "Checkpoints", "Kernels"],
                swiftSettings: fastMath),
        .target(name: "Inspection", dependencies: ["RecurrentNetwork", "Tokenization", "Kernels", "CZlib"], swiftSettings: fastMath),
        // The library target alone is checked in the Swift 6 language mode (complete
        // concurrency checking): it is the part other programs share across tasks.
        .target(name: "CharLSTM", dependencies: ["Kernels", "Tokenization", "RecurrentNetwork", "Checkpoints", "Training", "Sampling"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        // charlstm serve: OpenAI's completions API on Hummingbird, in the Swift 6 language mode
        // too (its requests run concurrently).
        .target(name: "Serving", dependencies: [
            "CharLSTM", "Checkpoints", "Tokenization",
            .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ], swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "REPL", dependencies: ["Sampling", "Checkpoints", "Tokenization", "Console", "CReadline"]),
        .executableTarget(name: "charlstm", dependencies: [
            "CharLSTM", "Kernels", "Tokenization", "RecurrentNetwork", "Checkpoints", "Training", "Sampling", "Console", "REPL", "Inspection",
            "MessagePassing", "Serving", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "charlstm-benchmark",
                          dependencies: ["CKernels", "Kernels", "RecurrentNetwork", "Tokenization", "Checkpoints", "Training"],
                          path: "Benchmarks/Throughput", swiftSettings: fastMath),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "Kernels"]),
        .testTarget(name: "NetworkTests", dependencies: ["RecurrentNetwork", "Kernels"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "RecurrentNetwork", "Tokenization"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "RecurrentNetwork", "Tokenization", "Checkpoints"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "RecurrentNetwork", "Tokenization", "Kernels"]),
        .testTarget(name: "REPLTests", dependencies: ["REPL", "Sampling"]),
        .testTarget(name: "InspectionTests", dependencies: ["Inspection", "RecurrentNetwork", "Kernels"]),
        .testTarget(name: "CharLSTMTests", dependencies: ["CharLSTM"], swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "EndToEndTests", dependencies: ["Checkpoints"]),
    ],
    swiftLanguageModes: [.v5]
)

// Coverage-guided fuzz targets, one per parser (scripts/fuzz.sh builds them with libFuzzer and
// Address Sanitizer when CHARLSTM_FUZZ is set). The command line's target is the charlstm binary
// itself, built to run libFuzzer over its own parsing instead of a command.
if ProcessInfo.processInfo.environment["CHARLSTM_FUZZ"] != nil {
    package.targets += [
        .target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"),
        .executableTarget(name: "fuzz-checkpoint-reader", dependencies: ["FuzzDriver", "Checkpoints"], path: "Fuzz/CheckpointReader"),
        .executableTarget(name: "fuzz-corpus-decoder", dependencies: ["FuzzDriver", "Tokenization"], path: "Fuzz/CorpusDecoder"),
        .executableTarget(name: "fuzz-token-cache-reader", dependencies: ["FuzzDriver", "Tokenization", "Training"],
                          path: "Fuzz/TokenCacheReader"),
        .executableTarget(name: "fuzz-repl-command-parser", dependencies: ["FuzzDriver", "REPL", "Sampling"],
                          path: "Fuzz/ReplCommandParser"),
        .executableTarget(name: "fuzz-completion-request", dependencies: ["FuzzDriver", "Serving", "CharLSTM"],
                          path: "Fuzz/CompletionRequest"),
    ]
    let commandLine = package.targets.first { $0.name == "charlstm" }!
    commandLine.dependencies.append("FuzzDriver")
    commandLine.swiftSettings = (commandLine.swiftSettings ?? []) + [.define("CHARLSTM_FUZZ")]
}
