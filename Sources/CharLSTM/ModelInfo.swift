import Checkpoints
import Foundation
import Sampling

/// What a checkpoint holds: the architecture, the vocabulary, and how far it was trained.
public struct ModelInfo: Sendable, Equatable {
    /// The checkpoint file (a run folder's best checkpoint when a folder was loaded).
    public let file: String
    /// The recurrent cell of every layer.
    public let cell: RecurrentCell
    /// Stacked recurrent layers.
    public let layers: Int
    /// Units per recurrent layer.
    public let hiddenSize: Int
    /// Width of each character's embedding.
    public let embeddingSize: Int
    /// Dropout after each recurrent layer while training (0 when none).
    public let dropout: Float
    /// Trainable numbers in the model.
    public let parameterCount: Int
    /// The characters the model knows, in index order (sorted by code point, except for
    /// characters added by fine-tuning, which follow).
    public let vocabulary: [Unicode.Scalar]
    /// Updates the model was trained for (nil for a checkpoint that holds weights only).
    public let step: Int?
    /// The epoch training was in, counted from 1 (nil for weights only).
    public let epoch: Int?
    /// The lowest validation loss so far, in nats per character, and the step that reached it.
    public let bestValidationLoss: Double?
    /// The step whose evaluation gave `bestValidationLoss`.
    public let bestStep: Int?
    /// Every evaluation of the run so far, oldest first.
    public let evaluations: [Evaluation]
    /// The checkpoint a fine-tuned model started from, as it was named when training began.
    public let parentFile: String?
    /// The version of charlstm (and of this library) that wrote the checkpoint; nil for files
    /// written before 0.14.0 or by another program.
    public let writtenBy: String?
    /// One line, as `charlstm repl` shows it: "2×128 LSTM, 65 characters, step 5000, best val 1.4523".
    public let summary: String

    /// One evaluation during training: losses in nats per character.
    public struct Evaluation: Sendable, Equatable {
        /// The step evaluated after.
        public let step: Int
        /// The smoothed training loss at that step.
        public let trainingLoss: Double
        /// The loss on the held-out text.
        public let validationLoss: Double
    }

    /// How it was trained: the settings stored with it (nil for a checkpoint of weights only).
    public let training: TrainingSettings?
    /// The files and folders it was trained on, as recorded when training began (empty when not recorded).
    public let corpus: [String]

    init(file: String, checkpoint: Checkpoint) {
        summary = SamplingModel.summary(of: checkpoint)
        corpus = checkpoint.training?.corpus ?? []
        training = checkpoint.training.map { TrainingSettings(model: checkpoint.model.configuration, training: $0) }
        let m = checkpoint.model.configuration
        self.file = file
        cell = RecurrentCell(m.cell)
        layers = m.layers
        hiddenSize = m.hiddenSize
        embeddingSize = m.embeddingSize
        dropout = m.dropout
        parameterCount = checkpoint.model.parameterCount
        vocabulary = checkpoint.vocabulary.scalars
        let position = checkpoint.position
        step = position?.step
        epoch = position?.epochNumber
        bestValidationLoss = position?.bestValidationLoss
        bestStep = position?.bestStep
        evaluations = (position?.history ?? []).map {
            Evaluation(step: $0.step, trainingLoss: $0.trainLoss, validationLoss: $0.validationLoss)
        }
        parentFile = checkpoint.parent?.file
        writtenBy = checkpoint.writtenBy
    }
}
