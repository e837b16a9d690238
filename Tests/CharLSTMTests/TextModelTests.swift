import CharLSTM
import Foundation
import XCTest

final class TextModelTests: XCTestCase {
    let trained = TrainedRun.shared

    func model() throws -> TextModel { try TextModel(loading: trained.runFolder) }

    func text(_ model: TextModel, _ settings: GenerationSettings, prompt: String = "the ") throws -> String {
        try model.text(prompt: prompt, settings: settings).joined()
    }

    func testLoading_aRunFolderReadsItsBestCheckpointAndWhatItHolds() throws {
        let info = try model().info
        XCTAssertEqual(info.file, trained.runFolder + "/best.safetensors")
        XCTAssertEqual(info.cell, .lstm)
        XCTAssertEqual([info.layers, info.hiddenSize, info.embeddingSize], [1, 32, 8])
        XCTAssertEqual(info.vocabulary, Set(TrainedRun.text.unicodeScalars).sorted { $0.value < $1.value })
        XCTAssertEqual(info.step, 60)
        XCTAssertEqual(info.evaluations.map(\.step), [60])
        XCTAssertEqual(info.bestValidationLoss, trained.result.bestValidationLoss)
        XCTAssertEqual(info.training?.batch, 8)
        XCTAssertEqual(info.corpus, [trained.corpusFile])
        XCTAssertEqual(info.writtenBy, CharLSTM.version)
        XCTAssertEqual(info.epoch, 1)
        XCTAssertTrue(info.summary.hasPrefix("1×32 LSTM, \(info.vocabulary.count) characters, step 60"), info.summary)
    }

    func testLoading_aMissingOrDamagedCheckpointIsACheckpointErrorNamingTheFile() throws {
        XCTAssertThrowsError(try TextModel(loading: trained.folder + "/nothing")) { error in
            XCTAssertEqual((error as? CharLSTMError)?.kind, .checkpoint)
            XCTAssertTrue("\(error)".hasPrefix(trained.folder + "/nothing: "), "\(error)")
        }
        let damaged = trained.folder + "/damaged.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: trained.runFolder + "/best.safetensors"))
        bytes[bytes.count - 5] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: damaged))
        XCTAssertThrowsError(try TextModel(loading: damaged)) { error in
            XCTAssertEqual((error as? CharLSTMError)?.kind, .checkpoint)
            XCTAssertTrue("\(error)".hasPrefix(damaged + ": "), "\(error)")
        }
    }

    func testText_sameSeedGivesTheSameTextAndAnotherSeedAnother() throws {
        let model = try model()
        let first = try text(model, GenerationSettings(length: 300, seed: 3))
        XCTAssertEqual(first.unicodeScalars.count, 300)
        XCTAssertEqual(try text(model, GenerationSettings(length: 300, seed: 3)), first)
        XCTAssertNotEqual(try text(model, GenerationSettings(length: 300, seed: 4)), first)
    }

    func testText_endsRightAfterTheFirstStopString() throws {
        let iterator = try model().text(prompt: "the ", settings: GenerationSettings(length: 2000, seed: 1, stop: [".\n"]))
        let written = iterator.joined()
        XCTAssertEqual(iterator.finishReason, .stop)
        XCTAssertTrue(written.hasSuffix(".\n"), written)
        XCTAssertEqual(written.components(separatedBy: ".\n").count, 2, written)
        XCTAssertEqual(iterator.count, written.unicodeScalars.count)
    }

    func testText_fullLengthEndsWithLengthAndShouldStopCancels() throws {
        let model = try model()
        let full = try model.text(settings: GenerationSettings(length: 50, seed: 1))
        XCTAssertEqual(Array(full).count, 50)
        XCTAssertEqual(full.finishReason, .length)
        var asked = 0
        let stopped = try model.text(settings: GenerationSettings(length: 50, seed: 1), shouldStop: { asked += 1; return asked > 10 })
        XCTAssertEqual(Array(stopped).count, 10)
        XCTAssertEqual(stopped.finishReason, .cancelled)
    }

    func testText_restartBeginsAgainFromThePromptWithTheRandomStreamGoingOn() throws {
        let iterator = try model().text(prompt: "the ", settings: GenerationSettings(length: 100, seed: 9))
        let first = iterator.joined()
        iterator.restart()
        let second = iterator.joined()
        XCTAssertEqual(second.unicodeScalars.count, 100)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(iterator.seed, 9)
    }

    func testText_beamOfOneIsGreedySamplingInOnePieceWithItsLogProbability() throws {
        let model = try model()
        let greedy = try model.text(settings: GenerationSettings(length: 80, temperature: 0), measuringLogProbability: true)
        let greedyText = greedy.joined()
        let beam = try model.text(settings: GenerationSettings(length: 80, beamWidth: 1))
        let pieces = Array(beam)
        XCTAssertEqual(pieces, [greedyText])
        XCTAssertEqual(beam.finishReason, .length)
        XCTAssertEqual(beam.logProbability, greedy.logProbability, accuracy: 1e-3)
        XCTAssertLessThan(beam.logProbability, 0)
    }

    func testText_widerBeamFindsTextAtLeastAsLikely() throws {
        let model = try model()
        let one = try model.text(settings: GenerationSettings(length: 40, beamWidth: 1))
        _ = Array(one)
        let four = try model.text(settings: GenerationSettings(length: 40, beamWidth: 4))
        _ = Array(four)
        XCTAssertGreaterThanOrEqual(four.logProbability, one.logProbability - 1e-9)
    }

    func testText_unknownPromptCharactersAreNamed() throws {
        let model = try model()
        XCTAssertEqual(model.unknownCharacters(in: "the ξξ"), ["ξ": 2])
        XCTAssertThrowsError(try model.text(prompt: "the ξξ")) { error in
            XCTAssertEqual((error as? CharLSTMError)?.kind, .unknownCharacters)
            XCTAssertTrue("\(error)".contains("'ξ' (U+03BE) ×2"), "\(error)")
        }
    }

    func testText_settingsOutOfRangeAreSettingsErrors() throws {
        let model = try model()
        for settings in [GenerationSettings(temperature: -1), GenerationSettings(temperature: .nan), GenerationSettings(topK: 0),
                         GenerationSettings(topP: 1.5), GenerationSettings(length: -1), GenerationSettings(stop: [""]),
                         GenerationSettings(beamWidth: 0), GenerationSettings(length: 1_000_000, beamWidth: 1000)] {
            XCTAssertNotNil(settings.problem, "\(settings)")
            XCTAssertThrowsError(try model.stream(settings: settings)) {
                XCTAssertEqual(($0 as? CharLSTMError)?.kind, .settings, "\(settings)")
            }
        }
        XCTAssertNil(GenerationSettings().problem)
    }

    func testStream_givesTheSameTextAsTheIterator() async throws {
        let model = try model()
        let settings = GenerationSettings(length: 200, seed: 5, stop: ["king"])
        var streamed = ""
        for await piece in try model.stream(prompt: "the ", settings: settings) { streamed += piece }
        XCTAssertEqual(streamed, try text(model, settings))
    }

    func testStream_cancellingTheReadingTaskEndsIt() async throws {
        let stream = try model().stream(settings: GenerationSettings(length: 10_000_000, seed: 1))
        let task = Task {
            var iterator = stream.makeAsyncIterator()
            var count = 0
            while await iterator.next() != nil {
                count += 1
                if count == 25 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return (count, iterator.text.finishReason)
        }
        let (count, reason) = await task.value
        XCTAssertEqual(count, 25)
        XCTAssertEqual(reason, .cancelled)
    }

    func testModel_isSharedByConcurrentTasksWithoutTheirTextsMixing() async throws {
        let model = try model()
        let alone = try text(model, GenerationSettings(length: 500, seed: 2))
        let texts = await withTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var text = ""
                    for await piece in try! model.stream(prompt: "the ", settings: GenerationSettings(length: 500, seed: 2)) {
                        text += piece
                    }
                    return text
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        XCTAssertEqual(texts, Array(repeating: alone, count: 4))
    }

    func testScore_ofAStringMatchesTheScoreOfItsFile() throws {
        let model = try model()
        let fromString = try model.score(TrainedRun.text)
        let fromFile = try model.score(TrainedRun.corpus([trained.corpusFile], in: trained.folder))
        XCTAssertEqual(fromString, fromFile)
        XCTAssertEqual(fromString.bitsPerCharacter, fromString.natsPerCharacter / log(2), accuracy: 1e-12)
        XCTAssertGreaterThan(fromString.characters, TrainedRun.text.unicodeScalars.count - 50 * 256)
        // Better than a uniform guess over the vocabulary: the model has learnt something.
        XCTAssertLessThan(fromString.natsPerCharacter, log(Double(model.info.vocabulary.count)))
    }

    func testScore_refusesUnknownCharactersAndTooShortText() throws {
        let model = try model()
        XCTAssertThrowsError(try model.score("the ξ king")) { XCTAssertEqual(($0 as? CharLSTMError)?.kind, .unknownCharacters) }
        XCTAssertThrowsError(try model.score("a")) { XCTAssertEqual(($0 as? CharLSTMError)?.kind, .corpus) }
        XCTAssertThrowsError(try model.score("the king", streams: 0)) { XCTAssertEqual(($0 as? CharLSTMError)?.kind, .settings) }
    }

    func testVersion_isTheToolsSemanticVersion() {
        XCTAssertNotNil(CharLSTM.version.range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression), CharLSTM.version)
    }
}
