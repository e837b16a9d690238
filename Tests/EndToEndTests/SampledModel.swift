import Foundation
import XCTest

/// The small model the sampling tests share: one layer of 32 units trained by the binary for
/// 60 steps on generated words at a constant learning rate (the model those tests' sampled
/// texts were written against), in `checkpoints/tiny` of a fresh workspace.
enum SampledModel {
    static let text = GeneratedText.words(3000, seed: 5)

    struct TrainingFailed: Error, CustomStringConvertible {
        var description: String { "could not train the tiny model the sampling tests use" }
    }

    static func trainedWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write(text, to: "words.txt")
        let run = try workspace.run(["train", "words.txt", "--run", "tiny", "--layers", "1", "--hidden", "32",
                                     "--embedding", "8", "--batch", "8", "--seq", "16", "--steps", "60",
                                     "--eval-every", "60", "--seed", "1", "--lr-schedule", "constant"])
        guard run.status == 0 else { throw TrainingFailed() }
        return workspace
    }
}

/// A test class whose tests share one `SampledModel` workspace, trained when the class starts
/// and removed when it ends.
class SampledModelTestCase: XCTestCase {
    private static var workspaces: [ObjectIdentifier: Workspace] = [:]

    var workspace: Workspace { Self.workspaces[ObjectIdentifier(Self.self)]! }

    override class func setUp() {
        super.setUp()
        workspaces[ObjectIdentifier(self)] = try? SampledModel.trainedWorkspace()
    }

    override class func tearDown() {
        workspaces[ObjectIdentifier(self)] = nil
        super.tearDown()
    }

    override func setUpWithError() throws {
        guard Self.workspaces[ObjectIdentifier(Self.self)] != nil else { throw SampledModel.TrainingFailed() }
    }
}
