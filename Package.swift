// swift-tools-version:6.0
import PackageDescription

/// Release builds of the math get `-Ounchecked`: the hot loops index buffers whose bounds are
/// established once per kernel call, and per-element bounds checks cost ~2x in the gate kernels.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "CharLSTM",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "charlstm", targets: ["charlstm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries: OpenBLAS's CBLAS (libopenblas-dev) and GNU readline (libreadline-dev).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"]), .brew(["readline"])]),

        .target(name: "Kernels", dependencies: ["CBLAS"], swiftSettings: fastMath),
        .target(name: "Tokenization", swiftSettings: fastMath),
        .target(name: "Console"),
        .target(name: "Network", dependencies: ["Kernels"], swiftSettings: fastMath),
        .target(name: "Checkpoints", dependencies: ["Network", "Tokenization"]),
        .target(name: "Training", dependencies: ["Network", "Tokenization", "Checkpoints", "Kernels", "Sampling", "Console"],
                swiftSettings: fastMath),
        .target(name: "Sampling", dependencies: ["Network", "Tokenization", "Checkpoints", "Kernels"],
                swiftSettings: fastMath),
        .executableTarget(name: "charlstm", dependencies: [
            "Kernels", "Tokenization", "Network", "Checkpoints", "Training", "Sampling", "Console",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "Kernels"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Network", "Tokenization"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Network", "Tokenization", "Checkpoints"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Checkpoints"]),
    ],
    swiftLanguageModes: [.v5]
)
