// swift-tools-version:6.0
import PackageDescription

// An example client of the CharLSTM library: it depends on the project by path and uses only
// the library's public API. Run from the project's root:
//     swift run --package-path Examples/Sonnet sonnet checkpoints/bundled
let package = Package(
    name: "Sonnet",
    platforms: [.macOS(.v14)],
    // Named, so the product can be found whatever the project's folder is called.
    dependencies: [.package(name: "CharLSTM", path: "../..")],
    targets: [
        .executableTarget(name: "sonnet", dependencies: [.product(name: "CharLSTM", package: "CharLSTM")]),
    ]
)
