import Checkpoints
import Console
import Foundation
import Kernels
import RecurrentNetwork
import Sampling
import Tokenization

/// Why a training run ended.
public enum StopReason: Equatable {
    case budgetReached
    case interrupted
    /// `--patience` evaluations in a row brought no new best validation loss.
    case noImprovement(evaluations: Int)
    /// Loss or gradient became NaN or infinite, or the loss stayed above the bound of
    /// `DivergenceGuard`; the message says where and what to try.
    case diverged(String)
}

/// What a finished run reports.
public struct TrainingOutcome {
    public var reason: StopReason
    public var step: Int
    public var bestValidationLoss: Double?
    public var lastCheckpoint: String?
}

/// Receives what a run wants to show: progress, evaluation samples, notes.
public protocol TrainingReporter: AnyObject {
    func progress(_ status: TrainingStatus)
    func evaluated(_ status: TrainingStatus, sample: String)
    func note(_ message: String)
}

/// A snapshot of a run for display.
public struct TrainingStatus {
    public var step: Int, epoch: Int, stepsPerEpoch: Int, stepInEpoch: Int
    public var smoothedLoss: Double, lastValidationLoss: Double?, bestValidationLoss: Double?
    public var charsPerSecond: Double, elapsed: Double
    /// Estimated seconds left in the budget, when the budget allows an estimate.
    public var remaining: Double?
    public var learningRate: Float
    public var gradientNorm: Double

    /// The epoch counted from 1, as every output shows it (see `TrainingPosition.epochNumber`).
    public var epochNumber: Int { TrainingPosition.epochNumber(step: step, epoch: epoch, stepInEpoch: stepInEpoch) }
}

/// The truncated-BPTT training loop: B streams over the training text, T steps per update,
/// state carried between updates and reset each epoch, evaluation and checkpoints on schedule.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let model: CharModel
    public let vocabulary: Vocabulary
    public let optimizer: Optimizer
    public private(set) var position: TrainingPosition
    public let run: RunFolder
    /// The checkpoint a fine-tuned run started from, recorded in each of its checkpoints.
    public var parent: ParentCheckpoint?
    /// `SplitCorpus.fingerprint` of the text it trains on, when set up from one.
    public var corpusFingerprint = ""
    let streams: TextStreams
    /// The processes training this model together; `SingleProcess` when alone.
    public let group: any TrainingGroup
    /// This rank's contiguous share of the run's streams (all of them in one process).
    public let ownStreams: Range<Int>
    /// Rank 0's: the other ranks neither evaluate nor sample.
    let evaluator: Evaluator?
    /// Whether there is held-out text to evaluate (on rank 0).
    let validationHeldOut: Bool
    /// The unrolled network for one micro-batch: `ownStreams.count / microBatches` streams.
    let network: UnrolledNetwork
    /// Sequential slices of this rank's streams per update (see `TrainingMemory.microBatches`).
    public let microBatches: Int
    /// The state each slice carries to its next window, by `UnrolledNetwork.carriedState`'s names.
    private var sliceStates: [[String: [Float]]]
    let gradients: FloatBuffer
    /// What a group's ranks sum at the end of a step: the gradient, then `StepSums`' fields.
    private let reduction: FloatBuffer
    /// Wall time this session spent in the steps' all-reduce (communication, and waiting for
    /// the slowest rank), and the steps it was spent over: what data-parallel training costs.
    public private(set) var allReduceSeconds = 0.0, allReduceSteps = 0
    var rng: SeededGenerator
    weak var reporter: TrainingReporter?
    /// Asked before every step: true stops the run there, saving it as Ctrl-C does (the
    /// command line's Ctrl-C, or a library caller's cancellation).
    public var stopRequested: () -> Bool = { Interrupt.requested }
    private var inputs: [Int32], targets: [Int32]
    /// A sample primer: the first character of the held-out text (or of the training text).
    private let samplePrimer: Int32

    /// Sets up a run from its state; `carriedState` (all streams') continues a resumed run
    /// mid-epoch. In a `group` of several ranks, `configuration.batch` must be a multiple of
    /// its size, every rank must have the same state, and only rank 0's `reporter` is used.
    public init(configuration: TrainingConfiguration, model: CharModel, vocabulary: Vocabulary, optimizer: Optimizer,
                position: TrainingPosition, carriedState: [String: [Float]], run: RunFolder,
                trainTokens: any TokenSequence, validationTokens: any TokenSequence, reporter: TrainingReporter?,
                group: any TrainingGroup = SingleProcess(),
                activationBudget: Double = TrainingMemory.activationBudget,
                minimumSliceStreams: Int = TrainingMemory.minimumSliceStreams) {
        precondition(configuration.batch % group.size == 0, "the batch must be a multiple of the group's size")
        self.configuration = configuration
        self.model = model
        self.vocabulary = vocabulary
        self.optimizer = optimizer
        self.position = position
        self.run = run
        self.reporter = group.rank == 0 ? reporter : nil
        self.group = group
        streams = TextStreams(tokens: trainTokens, batch: configuration.batch)
        let share = configuration.batch / group.size
        ownStreams = group.rank * share ..< (group.rank + 1) * share
        func slices(_ streams: Int) -> Int {
            TrainingMemory.microBatches(model: model.configuration, batch: streams, sequenceLength: configuration.sequenceLength,
                                        budget: activationBudget, minimumStreams: minimumSliceStreams)
        }
        microBatches = slices(share)
        network = UnrolledNetwork(model: model, batch: share / microBatches, maxSteps: configuration.sequenceLength)
        network.resetState()
        sliceStates = Array(repeating: network.carriedState, count: microBatches)
        // Evaluation cuts the held-out text into as many streams as one process training the
        // whole batch would (the loss depends on the cut), on the training network when that
        // is its width, so it then needs no memory of its own.
        evaluator = validationTokens.count >= 2 && group.rank == 0
            ? Evaluator(model: model, tokens: validationTokens, batch: configuration.batch / slices(configuration.batch),
                        window: configuration.sequenceLength, sharing: network)
            : nil
        validationHeldOut = validationTokens.count >= 2
        gradients = FloatBuffer(count: model.parameterCount)
        reduction = FloatBuffer(count: group.size > 1 ? model.parameterCount + StepSums.count : 0)
        rng = position.randomGenerator ?? SeededGenerator(seed: configuration.seed)
        inputs = [Int32](repeating: 0, count: network.batch * configuration.sequenceLength)
        targets = inputs
        samplePrimer = validationTokens.count > 0 ? validationTokens.token(at: 0) : trainTokens.token(at: 0)
        if position.stepInEpoch > 0, !carriedState.isEmpty {
            restoreCarriedState(carriedState)
        }
    }

    /// The carried state of this rank's streams (`ownStreams.count`×hidden per tensor; all
    /// streams in one process).
    public var carriedState: [String: [Float]] {
        var all = [String: [Float]]()
        for name in sliceStates[0].keys { all[name] = sliceStates.flatMap { $0[name]! } }
        return all
    }

    /// The carried state of all streams (batch×hidden per tensor), as a checkpoint stores it:
    /// the ranks' shares gathered in stream order, complete on rank 0. Every rank must call it.
    public func gatheredCarriedState() -> [String: [Float]] {
        let own = carriedState
        guard group.size > 1 else { return own }
        let names = own.keys.sorted()
        let bytes = names.flatMap { name in own[name]!.withUnsafeBytes { Array($0) } }
        let shares = group.gather(bytes)
        guard group.isLeader else { return [:] }
        let perTensor = ownStreams.count * model.configuration.hiddenSize
        var all = [String: [Float]]()
        for (k, name) in names.enumerated() {
            all[name] = shares.flatMap { share in
                share.withUnsafeBytes { Array($0.bindMemory(to: Float.self)[k * perTensor ..< (k + 1) * perTensor]) }
            }
        }
        return all
    }

    /// Takes this rank's streams of a checkpoint's carried state (batch×hidden per tensor) and
    /// splits them into the slices.
    private func restoreCarriedState(_ state: [String: [Float]]) {
        let h = model.configuration.hiddenSize, sliceCount = network.batch * h
        for k in 0..<microBatches {
            let first = (ownStreams.lowerBound + k * network.batch) * h
            var slice = [String: [Float]]()
            for (name, values) in state where values.count == configuration.batch * h {
                slice[name] = Array(values[first ..< first + sliceCount])
            }
            if slice.count == sliceStates[k].count { sliceStates[k] = slice }
        }
    }

    /// Mean loss on the held-out text (nats/char), or nil when there is none.
    public func validationLoss() -> Double? { evaluator?.meanLoss() }

    public var stepsPerEpoch: Int { streams.windows(steps: configuration.sequenceLength) }

    /// The learning rate of the latest step (of the first step, before any).
    public private(set) lazy var learningRate: Float = scheduledRate(trainingSeconds: position.elapsedSeconds)

    /// The schedule's rate for the next step, at `trainingSeconds` of the run's training time
    /// (rank 0's clock in a group, so every rank takes the same step).
    func scheduledRate(trainingSeconds: Double) -> Float {
        configuration.learningRate(progress: configuration.budgetProgress(step: position.step, stepsPerEpoch: stepsPerEpoch,
                                                                          trainingSeconds: trainingSeconds),
                                   epochs: position.epoch)
    }

    /// When this session's clock started and the run's training time then: what the time
    /// budget and the schedule count.
    private var sessionStart = Date()
    private lazy var elapsedBefore = position.elapsedSeconds

    /// The run's training time now.
    var trainingSeconds: Double { elapsedBefore + Date().timeIntervalSince(sessionStart) }

    /// Trains until the budget is spent, Ctrl-C, or divergence; checkpoints along the way.
    public func train() throws -> TrainingOutcome {
        let c = configuration
        sessionStart = Date()
        elapsedBefore = position.elapsedSeconds
        var lastReport = Date.distantPast
        // Rank 0's view of the folder, so every rank takes the same decisions below.
        var lastCheckpoint: String? = group.broadcast(group.isLeader ? run.latestCheckpoint : nil)
        var charsSinceMark = 0
        var markTime = Date()
        var rate = 0.0
        var gradientNorm = 0.0
        var divergence = DivergenceGuard(vocabularySize: vocabulary.count)
        var lastValidation = position.history.last?.validationLoss
        let charsPerStep = c.batch * c.sequenceLength
        var lastSave = sessionStart
        try checkReplicasAgree()

        func status() -> TrainingStatus {
            let elapsed = trainingSeconds
            return TrainingStatus(step: position.step, epoch: position.epoch, stepsPerEpoch: stepsPerEpoch,
                                  stepInEpoch: position.stepInEpoch, smoothedLoss: position.smoothedTrainLoss ?? .nan,
                                  lastValidationLoss: lastValidation, bestValidationLoss: position.bestValidationLoss,
                                  charsPerSecond: rate, elapsed: elapsed, remaining: remainingSeconds(rate: rate),
                                  learningRate: learningRate, gradientNorm: gradientNorm)
        }
        /// Writes the step checkpoint (and, when it is the best so far, `best.safetensors` first:
        /// a kill between the two then leaves the older step checkpoint, whose resumed run
        /// reaches this evaluation again and rewrites both). Every rank takes part; rank 0 writes.
        func saveCheckpoint(asBest: Bool) throws {
            try checkReplicasAgree()
            position.elapsedSeconds = trainingSeconds
            position.randomState = rng.state.map { String($0, radix: 16) }
            let snapshot = checkpoint()
            let path = run.checkpointPath(step: position.step)
            try group.onLeader {
                if asBest { try snapshot.write(to: run.bestPath, path) } else { try snapshot.write(to: path) }
                run.prune(keep: c.keep)
            }
            lastCheckpoint = path
            lastSave = Date()
        }
        func diverged(_ what: String, atStep failedStep: Int) -> TrainingOutcome {
            let keep = lastCheckpoint.map { "; the last good checkpoint is \($0)" } ?? ""
            let advice = DivergenceGuard.advice(learningRate: c.learningRate, hiddenSize: model.configuration.hiddenSize,
                                                clip: c.clip)
            return TrainingOutcome(
                reason: .diverged("training diverged at step \(failedStep) (\(what)): \(advice)\(keep)"),
                step: position.step, bestValidationLoss: position.bestValidationLoss, lastCheckpoint: lastCheckpoint)
        }
        /// Evaluates and checkpoints; returns what went wrong instead when the weights have
        /// diverged. No checkpoint of a broken model is ever written: none while the training
        /// loss or this validation loss is above the guard's bound either. Rank 0 measures the
        /// loss and every rank learns it, so all keep the same history and decide alike.
        func evaluate() throws -> String? {
            let trainLoss = position.smoothedTrainLoss ?? .nan
            let validation = validationLossOfGroup()
            if let loss = validation, !loss.isFinite { return "validation loss \(loss)" }
            guard UnsafeBufferPointer(start: model.parameters.pointer, count: model.parameterCount).allSatisfy(\.isFinite) else { return "the weights hold NaN or infinity" }
            // Above the bound the evaluation is logged, so the overshoot shows in log.csv, but
            // neither kept nor saved.
            let sound = !divergence.isAboveBound && !divergence.exceeds(validation ?? 0)
            if sound {
                if let loss = validation {
                    lastValidation = loss
                    position.history.append(Evaluation(step: position.step, trainLoss: trainLoss, validationLoss: loss))
                }
                // The best is updated before saving, so every checkpoint records the best loss
                // including its own evaluation (a resumed run compares against the true best).
                let improved = validation.map { $0 < (position.bestValidationLoss ?? .infinity) } ?? false
                if improved {
                    position.bestValidationLoss = validation
                    position.bestStep = position.step
                }
                try saveCheckpoint(asBest: improved)
            }
            try group.onLeader {
                let seconds = sound ? position.elapsedSeconds : elapsedBefore + Date().timeIntervalSince(sessionStart)
                try TrainingLog.append(LogRow(step: position.step, epoch: position.epochNumber, trainLoss: trainLoss,
                                              validationLoss: validation, learningRate: learningRate,
                                              charsPerSecond: rate, seconds: seconds), to: run.logPath)
                guard sound else { return }
                try AtomicFile.write(Data(LossPlot.svg(history: position.history, title: "CharLSTM — \((run.path as NSString).lastPathComponent)").utf8),
                                     to: run.plotPath)
                reporter?.evaluated(status(), sample: sample(length: 200))
            }
            return nil
        }
        /// What this rank asks of the group as its step ends: stop (Ctrl-C or SIGTERM here,
        /// or rank 0's clock past `--minutes`) and save (rank 0's clock past `--save-every-minutes`).
        func requests() -> StepRequests {
            let now = Date()
            let timeUp = group.isLeader && timeBudgetSpent()
            let saveDue = group.isLeader && c.saveEveryMinutes.map { now.timeIntervalSince(lastSave) >= $0 * 60 } == true
            return StepRequests(interrupt: stopRequested(), timeUp: timeUp, save: saveDue,
                                trainingSeconds: group.isLeader ? trainingSeconds : 0)
        }

        // A group hears of a stop through the next step's sum; one process can stop before its first step.
        var agreed = group.size == 1 ? requests() : StepRequests()
        while true {
            if stepBudgetReached() || agreed.interrupt || agreed.timeUp { break }
            // The step that fails is this one, whether or not `step` got as far as updating
            // (a finite but exploding loss is only judged here, after the update).
            let thisStep = position.step + 1
            let result = step(requesting: requests)
            agreed = result.requests
            gradientNorm = result.gradientNorm
            guard result.mean.isFinite, gradientNorm.isFinite else {
                let what = result.mean.isFinite ? "gradient norm \(gradientNorm)" : "loss \(result.mean)"
                return diverged(what, atStep: thisStep)
            }
            if divergence.record(loss: result.mean, step: thisStep) {
                return diverged(divergence.describe(atStep: thisStep), atStep: thisStep)
            }
            if divergence.firstStepAbove == thisStep {
                reporter?.note(divergence.overshootNote(atStep: thisStep))
            }
            charsSinceMark += charsPerStep
            let now = Date()
            if now.timeIntervalSince(markTime) >= 1 {
                rate = Double(charsSinceMark) / now.timeIntervalSince(markTime)
                charsSinceMark = 0
                markTime = now
            }
            if now.timeIntervalSince(lastReport) >= 0.2 {
                reporter?.progress(status())
                lastReport = now
            }
            if c.evaluateEvery > 0, position.step % c.evaluateEvery == 0 {
                if let problem = try evaluate() { return diverged(problem, atStep: position.step) }
                if let patience = c.patience, evaluationsWithoutImprovement >= patience {
                    return TrainingOutcome(reason: .noImprovement(evaluations: evaluationsWithoutImprovement),
                                           step: position.step, bestValidationLoss: position.bestValidationLoss,
                                           lastCheckpoint: lastCheckpoint)
                }
            } else if agreed.save, !divergence.isAboveBound {
                // Weights only move in finite steps (`step` refuses a non-finite update), so
                // this checkpoint is as sound as an evaluation's; it just has no new loss.
                try saveCheckpoint(asBest: false)
            }
        }
        // A run stopped before its first step (Ctrl-C at once, a tiny --minutes) has no train
        // loss to record and nothing new to save; one stopped while its loss is above the bound
        // has nothing sound to save, and says so.
        let trained = position.smoothedTrainLoss != nil
        if trained, divergence.isAboveBound {
            return diverged(divergence.describe(atStep: position.step) + ", when the run stopped",
                            atStep: position.step)
        }
        if trained, position.history.last?.step != position.step || lastCheckpoint == nil, let problem = try evaluate() {
            return diverged(problem, atStep: position.step)
        }
        return TrainingOutcome(reason: agreed.interrupt ? .interrupted : .budgetReached, step: position.step,
                               bestValidationLoss: position.bestValidationLoss, lastCheckpoint: lastCheckpoint)
    }

    /// Evaluations since the one that set the best validation loss (all of them before a best exists).
    var evaluationsWithoutImprovement: Int {
        position.history.filter { $0.step > (position.bestStep ?? -1) }.count
    }

    /// One update: forward and backward over the next window of every stream, clip, optimizer
    /// step, then the position moves on (a new epoch resets the carried state). When the loss
    /// or the gradient is not finite, nothing is updated and the position stays put.
    @discardableResult
    public func step() -> (mean: Double, gradientNorm: Double) {
        let result = step(requesting: { StepRequests(trainingSeconds: trainingSeconds) })
        return (result.mean, result.gradientNorm)
    }

    /// `step()`, in a group: this rank's share of the streams, then one sum over the ranks of
    /// the gradient with the loss, the characters and `requests` (asked for as the sum
    /// begins) appended, so every rank takes the same update and learns what any rank asked.
    func step(requesting requests: () -> StepRequests) -> (mean: Double, gradientNorm: Double, requests: StepRequests) {
        let c = configuration
        if position.stepInEpoch == 0 {
            network.resetState()
            sliceStates = Array(repeating: network.carriedState, count: microBatches)
        }
        // Each slice of the streams runs forward and backward in turn on the one network,
        // continuing from its own carried state; the gradients add up in `gradients`.
        gradients.zero()
        var total = 0.0
        let width = network.batch
        // One draw per step whatever the split, so every rank's generator stays the same.
        let dropoutSeed = rng.next()
        for k in 0..<microBatches {
            let slice = ownStreams.lowerBound + k * width ..< ownStreams.lowerBound + (k + 1) * width
            _ = network.restoreCarriedState(sliceStates[k])
            total += inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { t in
                    streams.fill(start: position.stepInEpoch * c.sequenceLength, length: c.sequenceLength,
                                 streams: slice, inputs: i.baseAddress!, targets: t.baseAddress!)
                    return network.forward(inputs: i.baseAddress!, targets: t.baseAddress!, steps: c.sequenceLength,
                                           dropout: DropoutKey(seed: dropoutSeed, firstStream: slice.lowerBound))
                }
            }
            // A non-finite loss skips the rest; in a group the sum still happens, so that every
            // rank learns of it (the loss sums to NaN everywhere) and all stop together.
            guard total.isFinite else { break }
            network.backward(gradients: gradients)
            sliceStates[k] = network.carriedState
        }
        // Each slice's backward gave the gradient of its own mean loss; their average over the
        // slices of all ranks is the gradient of the mean over all streams.
        let slices = microBatches * group.size
        if slices > 1 {
            let scale = 1 / Float(slices)
            for j in 0..<gradients.count { gradients[j] *= scale }
        }
        var agreed = requests()
        var characters = c.batch * c.sequenceLength
        if group.size > 1 {
            reduction.pointer.update(from: gradients.pointer, count: gradients.count)
            let sums = StepSums(loss: total, characters: ownStreams.count * c.sequenceLength, requests: agreed)
            sums.store(into: reduction.at(gradients.count))
            let started = Date()
            group.sum(reduction.pointer, count: reduction.count)
            allReduceSeconds += Date().timeIntervalSince(started)
            allReduceSteps += 1
            gradients.pointer.update(from: reduction.pointer, count: gradients.count)
            let reduced = StepSums(loadingFrom: reduction.at(gradients.count))
            total = reduced.loss
            characters = reduced.characters
            agreed = reduced.requests
        }
        let mean = total / Double(characters)
        guard mean.isFinite else { return (mean, .nan, agreed) }
        let norm = clipGradientNorm(gradients, maxNorm: c.clip)
        guard norm.isFinite else { return (mean, norm, agreed) }
        learningRate = scheduledRate(trainingSeconds: agreed.trainingSeconds)
        optimizer.update(parameters: model.parameters, gradients: gradients, lr: learningRate, weightDecay: c.weightDecay ?? 0)
        position.step += 1
        position.stepInEpoch += 1
        if position.stepInEpoch >= stepsPerEpoch {
            position.epoch += 1
            position.stepInEpoch = 0
        }
        position.smoothedTrainLoss = position.smoothedTrainLoss.map { 0.98 * $0 + 0.02 * mean } ?? mean
        return (mean, norm, agreed)
    }

    /// Whether `--steps` or `--epochs` is used up (every rank counts the same steps).
    func stepBudgetReached() -> Bool {
        let c = configuration
        if let steps = c.maxSteps, position.step >= steps { return true }
        if let epochs = c.maxEpochs, position.epoch >= epochs { return true }
        return false
    }

    /// Whether the run's `--minutes` budget is spent (by this process's clock).
    func timeBudgetSpent() -> Bool {
        configuration.maxMinutes.map { configuration.budgetSeconds(trainingSeconds: trainingSeconds) >= $0 * 60 } == true
    }

    func remainingSeconds(rate: Double) -> Double? {
        let c = configuration
        var candidates = [Double]()
        let secondsPerStep = rate > 0 ? Double(c.batch * c.sequenceLength) / rate : .nan
        if let steps = c.maxSteps { candidates.append(Double(steps - position.step) * secondsPerStep) }
        if let epochs = c.maxEpochs {
            // In Double: `--epochs` may be as large as Int allows.
            candidates.append((Double(epochs - position.epoch) * Double(stepsPerEpoch) - Double(position.stepInEpoch)) * secondsPerStep)
        }
        if let minutes = c.maxMinutes { candidates.append(minutes * 60 - c.budgetSeconds(trainingSeconds: trainingSeconds)) }
        return candidates.filter(\.isFinite).min().map { max(0, $0) }
    }

    /// The complete state of the run as a checkpoint, the same whatever the group's size. In a
    /// group every rank must call it, and only rank 0's holds the carried state.
    public func checkpoint() -> Checkpoint {
        Checkpoint(model: model, vocabulary: vocabulary, optimizer: optimizer, training: configuration,
                   position: position, carriedState: gatheredCarriedState(),
                   carriedStateShape: [configuration.batch, model.configuration.hiddenSize], parent: parent)
    }

    /// The held-out loss, measured on rank 0 and known to every rank; nil without held-out text.
    func validationLossOfGroup() -> Double? {
        guard group.size > 1 else { return evaluator?.meanLoss() }
        let loss = group.broadcast(evaluator?.meanLoss() ?? .nan)
        return validationHeldOut ? loss : nil
    }

    /// Stops the group with one line when the ranks' parameters differ (compared by a hash).
    func checkReplicasAgree() throws {
        guard group.size > 1 else { return }
        var hash = TokenChecksum()
        hash.update(UnsafeRawBufferPointer(start: model.parameters.pointer, count: model.parameterCount * 4))
        let hashes = group.gather(Array(hash.hex.utf8))
        let differing = hashes.indices.filter { hashes[$0] != hashes.first }
        let verdict = group.broadcast(differing.isEmpty ? [] : Array("ranks \(differing.map(String.init).joined(separator: ", ")) hold other parameters than rank 0 at step \(position.step)".utf8))
        guard verdict.isEmpty else {
            throw ReplicasDisagree(description: String(decoding: verdict, as: UTF8.self)
                                   + "; the update was not the same everywhere: resume from the last checkpoint")
        }
    }

    /// A short sample showing how the model is doing, at temperature 0.8, primed with
    /// `samplePrimer`. It uses its own generator, seeded by the step, so it never disturbs
    /// the training stream of random numbers (and hence exact resume). Its copy of the weights
    /// lives in the training network's idle memory, so sampling adds nothing to the run's peak.
    func sample(length: Int) -> String {
        let generator = TextGenerator(model: model, vocabulary: vocabulary, settings: SamplingSettings(temperature: 0.8),
                                      seed: configuration.seed ^ UInt64(position.step), workspace: network.idleWorkspace)
        generator.feed([samplePrimer])
        var text = String.UnicodeScalarView()
        generator.continueText(count: length) { text.append($0); return true }
        return String(text)
    }
}
