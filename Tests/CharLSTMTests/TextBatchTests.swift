import CharLSTM
import XCTest

final class TextBatchTests: XCTestCase {
    let trained = TrainedRun.shared

    func testBatch_eachTextIsTheTextItWouldBeAloneAndLeavesWhenItEnds() throws {
        let model = try TextModel(loading: trained.runFolder)
        let asked = [("the ", GenerationSettings(length: 40, seed: 1)), ("king ", GenerationSettings(length: 25, temperature: 0, seed: 2)),
                     ("", GenerationSettings(length: 60, topK: 3, seed: 3, stop: ["."])), ("a", GenerationSettings(length: 0, seed: 4))]
        let batch = TextBatch(model: model)
        var ids: [Int] = []
        for (prompt, settings) in asked { ids.append(try batch.add(prompt: prompt, settings: settings)) }
        XCTAssertEqual(batch.count, 4)
        var texts = [Int: String](), reasons = [Int: FinishReason]()
        while batch.count > 0 {
            let pieces = batch.step()
            XCTAssertEqual(Set(pieces.map(\.id)).count, pieces.count, "one piece per text and step")
            for piece in pieces {
                texts[piece.id, default: ""] += piece.text
                if let reason = piece.finishReason { reasons[piece.id] = reason }
            }
        }
        for (id, (prompt, settings)) in zip(ids, asked) {
            let alone = try model.text(prompt: prompt, settings: settings)
            XCTAssertEqual(texts[id], alone.joined(), "text \(id)")
            XCTAssertEqual(reasons[id], alone.finishReason, "text \(id)")
        }
        XCTAssertEqual(texts[ids[3]], "")
        XCTAssertEqual(reasons[ids[3]], .length)
    }

    func testBatch_aRemovedTextWritesNoMoreAndABeamIsRefused() throws {
        let model = try TextModel(loading: trained.runFolder)
        let batch = TextBatch(model: model)
        let kept = try batch.add(prompt: "the ", settings: GenerationSettings(length: 10, seed: 1))
        let removed = try batch.add(prompt: "the ", settings: GenerationSettings(length: 10, seed: 2))
        _ = batch.step()
        batch.remove(removed)
        XCTAssertEqual(batch.step().map(\.id), [kept])
        XCTAssertThrowsError(try batch.add(prompt: "the ", settings: GenerationSettings(beamWidth: 2))) { error in
            XCTAssertEqual((error as? CharLSTMError)?.kind, .settings)
        }
        XCTAssertThrowsError(try batch.add(prompt: "the ", settings: GenerationSettings(temperature: -1)))
        XCTAssertEqual(batch.count, 1)
    }
}
