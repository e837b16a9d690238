import Training

/// A training run as it starts.
public struct TrainingStart: Sendable, Equatable {
    /// The run folder its checkpoints go to.
    public let runFolder: String
    /// The model as training starts (only in memory so far: its `file` is empty).
    public let model: ModelInfo
    /// The settings it trains with (for a resumed run: the run's own, with the budget given).
    public let settings: TrainingSettings
    /// Updates per pass over the corpus.
    public let stepsPerEpoch: Int
    /// The step it starts from: 0, or a resumed run's.
    public let step: Int
    /// The checkpoint a fine-tuning run started from.
    public let parentFile: String?
}

extension TrainingStart {
    init(_ trainer: Trainer) {
        let checkpoint = trainer.checkpoint()
        runFolder = trainer.run.path
        model = ModelInfo(file: "", checkpoint: checkpoint)
        settings = TrainingSettings(model: trainer.model.configuration, training: trainer.configuration)
        stepsPerEpoch = trainer.stepsPerEpoch
        step = trainer.position.step
        parentFile = trainer.parent?.file
    }
}
