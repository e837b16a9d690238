import CharLSTM
import Foundation
import XCTest

final class TrainingRunTests: XCTestCase {
    let trained = TrainedRun.shared

    func testTrainingRun_writesTheRunFolderAndReportsStartEvaluationAndEnd() throws {
        XCTAssertEqual(trained.result.reason, .budgetReached)
        XCTAssertEqual(trained.result.step, 60)
        XCTAssertEqual(trained.result.lastCheckpoint, trained.runFolder + "/step-00000060.safetensors")
        for file in ["best.safetensors", "step-00000060.safetensors", "log.csv", "loss.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: trained.runFolder + "/" + file), file)
        }
        let afterNotes = trained.events.drop { if case .note = $0 { return true } else { return false } }
        guard case .started(let start) = afterNotes.first else { return XCTFail("first event: \(trained.events)") }
        XCTAssertEqual(start.step, 0)
        XCTAssertEqual(start.settings, TrainedRun.settings)
        XCTAssertEqual(start.model.hiddenSize, 32)
        XCTAssertEqual(trained.events.last, .finished(trained.result))
        let evaluations = trained.events.compactMap { event -> (TrainingProgress, String)? in
            if case .evaluated(let progress, let sample) = event { return (progress, sample) } else { return nil }
        }
        XCTAssertEqual(evaluations.map(\.0.step), [60])
        XCTAssertEqual(evaluations.first?.1.unicodeScalars.count, 200)
    }

    func testTrainingRun_sameSettingsAndCorpusGiveTheSameModel() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let again = TrainingRun(corpus: TrainedRun.corpus([trained.corpusFile], in: folder), runFolder: folder + "/again",
                                settings: TrainedRun.settings)
        let result = try again.run()
        XCTAssertEqual(result.bestValidationLoss, trained.result.bestValidationLoss)
    }

    func testTrainingRun_cancelledByShouldStopSavesWhereItStopped() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var asked = 0
        let run = TrainingRun(corpus: TrainedRun.corpus([trained.corpusFile], in: folder), runFolder: folder + "/stopped",
                              settings: TrainedRun.settings)
        let result = try run.run(shouldStop: { asked += 1; return asked > 5 })
        XCTAssertEqual(result.reason, .cancelled)
        XCTAssertEqual(result.step, 5)
        XCTAssertEqual(try TextModel(loading: folder + "/stopped").info.step, 5)
    }

    func testTrainingRun_eventsStreamEndsWithFinishedAndCancelBeforeTheFirstStepSavesNothing() async throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = TrainingRun(corpus: TrainedRun.corpus([trained.corpusFile], in: folder), runFolder: folder + "/cancelled",
                              settings: TrainedRun.settings)
        run.cancel()
        var events = [TrainingEvent]()
        for try await event in run.events() { events.append(event) }
        guard case .finished(let result) = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(result.reason, .cancelled)
        XCTAssertEqual(result.step, 0)
        XCTAssertNil(result.lastCheckpoint)
    }

    func testTrainingRun_runsOnlyOnce() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = TrainingRun(corpus: TrainedRun.corpus([trained.corpusFile], in: folder), runFolder: folder + "/once",
                              settings: TrainedRun.settings)
        run.cancel()
        try run.run()
        XCTAssertThrowsError(try run.run()) { XCTAssertEqual(($0 as? CharLSTMError)?.kind, .training) }
    }

    /// A run resuming a copy of the shared run, in `folder`; the copy's path.
    func resumingACopy(in folder: String,
                       adjusting: @escaping @Sendable (TrainingSettings, ModelInfo) throws -> TrainingSettings) throws
        -> (TrainingRun, String) {
        let copy = folder + "/tiny"
        try FileManager.default.copyItem(atPath: trained.runFolder, toPath: copy)
        return (TrainingRun(resuming: copy, corpus: TrainedRun.corpus([], in: folder), adjusting: adjusting), copy)
    }

    func testTrainingRun_resumedContinuesTheRunWithANewBudget() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (resumed, copy) = try resumingACopy(in: folder) { stored, checkpoint in
            XCTAssertEqual(checkpoint.step, 60)
            var settings = stored
            settings.steps = 80
            settings.evaluateEvery = 20
            return settings
        }
        var start: TrainingStart?
        let result = try resumed.run(onEvent: { if case .started(let s) = $0 { start = s } })
        XCTAssertEqual(start?.step, 60)
        XCTAssertEqual(result.step, 80)
        XCTAssertEqual(try TextModel(loading: copy).info.evaluations.map(\.step), [60, 80])
    }

    func testTrainingRun_resumeRefusesAChangedBatch() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (resumed, _) = try resumingACopy(in: folder) { stored, _ in
            var settings = stored
            settings.batch = 4
            return settings
        }
        XCTAssertThrowsError(try resumed.run()) { error in
            let error = error as? CharLSTMError
            XCTAssertEqual(error?.kind, .settings)
            XCTAssertTrue(error?.message.contains("batch 8 → 4 cannot change") ?? false, "\(String(describing: error))")
        }
    }

    func testTrainingRun_fineTuningNeedsExtendingForNewCharactersAndRecordsTheParent() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/new.txt"
        try Data((TrainedRun.text + "§").utf8).write(to: URL(fileURLWithPath: file))
        var settings = TrainedRun.settings
        settings.steps = 10
        settings.evaluateEvery = 10
        let refused = TrainingRun(fineTuning: trained.runFolder, corpus: TrainedRun.corpus([file], in: folder),
                                  runFolder: folder + "/refused", settings: settings)
        XCTAssertThrowsError(try refused.run()) { error in
            XCTAssertEqual((error as? CharLSTMError)?.kind, .unknownCharacters)
            XCTAssertTrue("\(error)".contains("'§' (U+00A7)"), "\(error)")
        }
        let tuned = TrainingRun(fineTuning: trained.runFolder, corpus: TrainedRun.corpus([file], in: folder),
                                runFolder: folder + "/tuned", settings: settings, extendingVocabulary: true)
        var notes = [String]()
        try tuned.run(onEvent: { if case .note(let note) = $0 { notes.append(note) } })
        let info = try TextModel(loading: folder + "/tuned").info
        XCTAssertEqual(info.vocabulary.last, "§")
        XCTAssertEqual(info.parentFile, trained.runFolder + "/best.safetensors")
        XCTAssertTrue(notes.contains { $0.hasPrefix("vocabulary extended by 1 character") }, "\(notes)")
    }

    func testTrainingRun_emptyCorpusIsACorpusError() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/empty.txt"
        try Data().write(to: URL(fileURLWithPath: file))
        let run = TrainingRun(corpus: TrainedRun.corpus([file], in: folder), runFolder: folder + "/run")
        XCTAssertThrowsError(try run.run()) { XCTAssertEqual(($0 as? CharLSTMError)?.kind, .corpus, "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/run/best.safetensors"))
    }

    func testTrainingRun_recordsTheScheduleAndRegularisationItTrainedWith() throws {
        let folder = try TrainedRun.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var settings = TrainedRun.settings
        settings.steps = 10
        settings.evaluateEvery = 10
        settings.schedule = .constant
        settings.dropout = 0.2
        settings.dropoutMasking = .step
        settings.embeddingDropout = 0.1
        settings.weightDrop = 0.3
        settings.weightDecay = 0.01
        let run = TrainingRun(corpus: TrainedRun.corpus([trained.corpusFile], in: folder), runFolder: folder + "/regularised",
                              settings: settings)
        var started: TrainingSettings?
        _ = try run.run(onEvent: { if case .started(let start) = $0 { started = start.settings } })
        XCTAssertEqual(started, settings)
        XCTAssertEqual(try TextModel(loading: folder + "/regularised").info.training, settings)
        XCTAssertEqual(TrainingSettings().schedule, .cosine, "the default is charlstm train's")
    }

    func testTrainingSettings_outOfRangeIsASettingsError() throws {
        var settings = TrainedRun.settings
        settings.learningRate = .nan
        XCTAssertNotNil(settings.problem)
        settings.learningRate = 1e-3
        settings.weightDrop = 1
        XCTAssertEqual(settings.problem, "weight drop must be in [0, 1), got 1.0")
        let run = TrainingRun(corpus: Corpus([trained.corpusFile]), runFolder: trained.folder + "/never", settings: settings)
        XCTAssertThrowsError(try run.run()) { XCTAssertEqual(($0 as? CharLSTMError)?.kind, .settings, "\($0)") }
    }
}
