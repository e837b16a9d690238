import CharLSTM
import Foundation

/// A tiny model trained through the library for 60 steps on generated words, in a fresh
/// folder that every test of the target shares (made once, on first use).
struct TrainedRun: Sendable {
    let folder: String
    let corpusFile: String
    let runFolder: String
    let events: [TrainingEvent]
    let result: TrainingResult

    static let text: String = {
        let lexicon = ["the", "king", "rode", "to", "a", "castle", "and", "sang", "of", "war", "wind",
                       "over", "hills", "in", "night", "queen", "said", "no", "more"]
        var state: UInt64 = 5
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        var text = ""
        for k in 0..<3000 {
            text += lexicon[next() % lexicon.count]
            text += next() % 9 == 0 ? (k % 2 == 0 ? ".\n" : ",\n") : " "
        }
        return text
    }()

    static let shared: TrainedRun = {
        do {
            let run = try TrainedRun()
            atexit { try? FileManager.default.removeItem(atPath: TrainedRun.shared.folder) }
            return run
        } catch {
            fatalError("could not train the tests' model: \(error)")
        }
    }()

    static var settings: TrainingSettings {
        var settings = TrainingSettings()
        settings.layers = 1
        settings.hiddenSize = 32
        settings.embeddingSize = 8
        settings.batch = 8
        settings.sequenceLength = 16
        settings.steps = 60
        settings.evaluateEvery = 60
        settings.threads = 1
        return settings
    }

    private init() throws {
        folder = try Self.makeFolder()
        corpusFile = folder + "/words.txt"
        try Data(Self.text.utf8).write(to: URL(fileURLWithPath: corpusFile))
        runFolder = folder + "/checkpoints/tiny"
        var events = [TrainingEvent]()
        let run = TrainingRun(corpus: Self.corpus([corpusFile], in: folder), runFolder: runFolder, settings: Self.settings)
        result = try run.run(onEvent: { events.append($0) })
        self.events = events
    }

    /// A corpus whose token cache stays inside the test folder.
    static func corpus(_ paths: [String], in folder: String) -> Corpus {
        Corpus(paths, cacheFolder: folder + "/cache")
    }

    static func makeFolder() throws -> String {
        let path = NSTemporaryDirectory() + "charlstm-library-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
