// Fuzz target: the checkpoint reader (safetensors container, metadata, tensors), on bytes as
// `Checkpoint.read` gets them from a file.
//
// Contract: every input is either a checkpoint, or refused with the reader's own error
// (`SafeTensorsError`, `CheckpointProblem`, which `read` turns into one line naming the file).
// It never traps, never reads outside the input, and never allocates what a header merely claims
// (scripts/fuzz.sh caps any single allocation with -malloc_limit_mb). What it accepts is whole:
// a valid model whose every weight is finite, and writing it again gives a file that reads back
// as the same checkpoint.
@testable import Checkpoints
import Foundation
import FuzzDriver

fuzz { bytes in
    let data = Data(bytes)
    let checkpoint: Checkpoint
    do {
        checkpoint = try Checkpoint.decode(data)
    } catch is SafeTensorsError {
        return
    } catch is Checkpoint.CheckpointProblem {
        return
    } catch {
        fuzzFailure("the reader threw \(type(of: error)) \(error), not a reader error")
    }
    let model = checkpoint.model
    if let problem = model.configuration.problem { fuzzFailure("accepted an invalid configuration: \(problem)") }
    if model.configuration.vocabularySize != checkpoint.vocabulary.count { fuzzFailure("accepted a vocabulary of the wrong size") }
    let weights = UnsafeBufferPointer(start: model.parameters.at(0), count: model.layout.totalCount)
    if !weights.allSatisfy(\.isFinite) { fuzzFailure("accepted weights that are not finite") }
    let again: Checkpoint
    do { again = try Checkpoint.decode(checkpoint.encoded()) } catch {
        fuzzFailure("a checkpoint it accepted, written again, is refused: \(error)")
    }
    let reread = UnsafeBufferPointer(start: again.model.parameters.at(0), count: again.model.layout.totalCount)
    if again.vocabulary.codePoints != checkpoint.vocabulary.codePoints || again.model.configuration != model.configuration
        || !reread.elementsEqual(weights) || again.optimizer?.step != checkpoint.optimizer?.step
        || again.carriedState != checkpoint.carriedState {
        fuzzFailure("a checkpoint it accepted, written again, reads back different")
    }
}
