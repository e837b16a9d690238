import ArgumentParser
import Checkpoints
import Console
import Foundation
import Kernels
import MessagePassing
import RecurrentNetwork
import Tokenization
import Training

extension OptimizerKind: ExpressibleByArgument {}
extension CellKind: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension DropoutMask: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on text files or folders; checkpoints go to checkpoints/<run>/.",
        discussion: """
        The last --val-fraction of the text is held out and evaluated every --eval-every steps \
        and at the end; each evaluation writes a checkpoint, updates best.safetensors when the \
        validation loss improves, appends to log.csv and redraws loss.svg. Ctrl-C stops after \
        the current step and saves; a second Ctrl-C exits at once.
        """)

    @Argument(help: "Text files or folders (folders: every text file below, in sorted order). On --resume, defaults to the run's own corpus.")
    var corpus: [String] = []

    @Option(name: .customLong("run"), help: "Run name: the folder under checkpoints/ (default: run-<date>-<time>).")
    var runName: String?
    @Option(help: "Recurrent cell: lstm, gru or rnn (plain tanh RNN), as PyTorch's nn.LSTM, nn.GRU, nn.RNN (default lstm).")
    var cell: CellKind?
    @Option(help: "Stacked recurrent layers (default: chosen from the corpus size and the budget, see the README's \"Choosing a model size\"; 2 when another of --layers, --hidden, --embedding is given).") var layers: Int?
    @Option(help: "Units per recurrent layer (default: chosen from the corpus size and the budget, see the README's \"Choosing a model size\"; 128 when another of --layers, --hidden, --embedding is given).") var hidden: Int?
    @Option(help: "Embedding width per character (default: chosen from the corpus size and the budget, see the README's \"Choosing a model size\"; 64 when another of --layers, --hidden, --embedding is given).") var embedding: Int?
    @Option(help: "Dropout after each recurrent layer while training, in [0, 1) (default: chosen with the size when none of --layers, --hidden, --embedding is given, else 0).") var dropout: Float?
    @Option(name: .customLong("dropout-mask"), help: "sequence (one dropout mask per stream for a whole --seq window: variational dropout) or step (a new mask at every character, as nn.LSTM's dropout) (default sequence).")
    var dropoutMask: DropoutMask?
    @Option(name: .customLong("embedding-dropout"), help: "Dropout on the characters' embeddings while training, in [0, 1), with --dropout-mask's masks (default 0).")
    var embeddingDropout: Float?
    @Option(name: .customLong("weight-drop"), help: "DropConnect on the recurrent weights (W_hh) while training: each is zeroed for a step with this probability, in [0, 1), as AWD-LSTM's weight drop (default 0).")
    var weightDrop: Float?
    @Option(name: .customLong("weight-decay"), help: "Decoupled weight decay, as torch.optim.AdamW: every step shrinks each weight by lr × this (default 0).")
    var weightDecay: Float?
    @Option(help: "Parallel streams per step (default 50).") var batch: Int?
    @Option(help: "Characters per stream per step: the BPTT length (default 50).") var seq: Int?
    @Option(help: "Learning rate (default 0.002).") var lr: Float?
    @Option(name: .customLong("lr-decay"), help: "With --lr-schedule epoch-decay: multiply the learning rate by this after every epoch (default 1: no decay).")
    var lrDecay: Float?
    @Option(name: .customLong("lr-schedule"), help: "constant, epoch-decay (--lr × --lr-decay after every epoch) or cosine (a warmup over the first 2% of the budget, then down to a tenth of --lr exactly when the budget ends: by training time with --minutes, by step with --steps or --epochs). Default: cosine, or epoch-decay when --lr-decay is given; on --resume, the run's own.")
    var lrSchedule: LearningRateSchedule?
    @Option(help: "adam, rmsprop or sgd (default adam).") var optimizer: OptimizerKind?
    @Option(help: "Clip gradients to this global L2 norm; 0 disables (default 5).") var clip: Float?
    @Option(help: "Stop after this many epochs (default 10 when no budget is given).") var epochs: Int?
    @Option(help: "Stop once the run has taken this many steps in total.") var steps: Int?
    @Option(help: "Stop after this many minutes of training (on --resume: more minutes from where the run is; without it, a resumed run trains to the end of the minutes it was given).") var minutes: Double?
    @Option(name: .customLong("val-fraction"), help: "Fraction of the text held out for validation, in [0, 0.5] (default 0.1).")
    var valFraction: Double?
    @Option(name: .customLong("eval-every"), help: "Evaluate, sample and checkpoint every N steps (default 500).")
    var evalEvery: Int?
    @Option(help: "Step checkpoints to retain besides best.safetensors (default 5).") var keep: Int?
    @Option(help: "Random seed for initialisation and dropout (default 1).") var seed: UInt64?
    @Option(help: "Threads for matrix multiplies (default: all cores; on --resume, the run's own).") var threads: Int?
    @Option(help: "Continue a run: its folder (newest checkpoint) or a checkpoint file.") var resume: String?
    @Option(name: .customLong("init-from"), help: "Fine-tune: start from this checkpoint's weights (a file, or a run folder: its best) with a fresh optimizer, schedule and run folder. The architecture comes from the checkpoint.")
    var initFrom: String?
    @Flag(name: .customLong("extend-vocab"), help: "With --init-from: add the characters of the corpus that the model does not know to its vocabulary (new, freshly initialised embedding and decoder rows) instead of stopping.")
    var extendVocab = false
    @Option(help: "Stop after N evaluations in a row that bring no new best validation loss.") var patience: Int?
    @Option(name: .customLong("save-every-minutes"), help: "Also write a step checkpoint every M minutes of wall time (fractions allowed), between evaluations.")
    var saveEveryMinutes: Double?
    @Option(name: .customLong("eval-chars"), help: "Evaluate on the first N held-out characters only; 0 means all (default 250000: a forward pass over them costs about 35 training steps at the default --batch and --seq, some 7% of the time between evaluations 500 steps apart, however large the corpus).")
    var evalChars: Int?
    @OptionGroup var reading: CorpusOptions
    @Flag(help: "Print a JSON summary on stdout at the end.") var json = false

    func validate() throws {
        func positive(_ value: Int?, _ name: String) throws {
            if let value, value < 1 { throw ValidationError("--\(name) must be at least 1 (got \(value))") }
        }
        try positive(layers, "layers"); try positive(hidden, "hidden"); try positive(embedding, "embedding")
        try positive(batch, "batch"); try positive(seq, "seq"); try positive(epochs, "epochs")
        try positive(steps, "steps"); try positive(keep, "keep"); try positive(threads, "threads")
        if let evalEvery, evalEvery < 0 { throw ValidationError("--eval-every must be ≥ 0 (0: only at the end), got \(evalEvery)") }
        if let lr, !(lr.isFinite && lr > 0) { throw ValidationError("--lr must be a positive number (got \(lr))") }
        if let lrDecay, !(lrDecay.isFinite && lrDecay > 0 && lrDecay <= 1) {
            throw ValidationError("--lr-decay must be in (0, 1] (got \(lrDecay))")
        }
        if let clip, !(clip.isFinite && clip >= 0) { throw ValidationError("--clip must be ≥ 0 (got \(clip))") }
        for (name, value) in [("dropout", dropout), ("embedding-dropout", embeddingDropout), ("weight-drop", weightDrop)] {
            if let value, !(value >= 0 && value < 1) { throw ValidationError("--\(name) must be in [0, 1) (got \(value))") }
        }
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) {
            throw ValidationError("--weight-decay must be ≥ 0 (got \(weightDecay))")
        }
        if let minutes, !(minutes.isFinite && minutes > 0) { throw ValidationError("--minutes must be a positive number (got \(minutes))") }
        if let valFraction, !(valFraction >= 0 && valFraction <= 0.5) {
            throw ValidationError("--val-fraction must be in [0, 0.5] (got \(valFraction))")
        }
        if let hidden, hidden > 16384 { throw ValidationError("--hidden must be at most 16384 (got \(hidden))") }
        if let embedding, embedding > 16384 { throw ValidationError("--embedding must be at most 16384 (got \(embedding))") }
        if let layers, layers > 64 { throw ValidationError("--layers must be at most 64 (got \(layers))") }
        if let batch, batch > 100_000 { throw ValidationError("--batch must be at most 100000 (got \(batch))") }
        if let seq, seq > 100_000 { throw ValidationError("--seq must be at most 100000 (got \(seq))") }
        if let threads, threads > 1024 { throw ValidationError("--threads must be at most 1024 (got \(threads))") }
        if let runName, runName.isEmpty || runName.hasPrefix(".") || runName.contains("/") {
            throw ValidationError("--run must be a plain folder name, without '/' and not starting with '.' (got '\(runName)')")
        }
        try positive(patience, "patience")
        if let saveEveryMinutes, !(saveEveryMinutes.isFinite && saveEveryMinutes > 0) {
            throw ValidationError("--save-every-minutes must be a positive number (got \(saveEveryMinutes))")
        }
        if let evalChars, evalChars < 0 || evalChars == 1 {
            throw ValidationError("--eval-chars must be 0 (all) or at least 2 (got \(evalChars))")
        }
        if initFrom != nil && resume != nil {
            throw ValidationError("--init-from starts a new run and --resume continues one: give only one of them")
        }
        if extendVocab && initFrom == nil { throw ValidationError("--extend-vocab only applies to fine-tuning: add --init-from CHECKPOINT") }
        if initFrom != nil && corpus.isEmpty { throw ValidationError("give the corpus to fine-tune on (text files or folders)") }
        if resume == nil && corpus.isEmpty { throw ValidationError("give a corpus to train on (text files or folders), or --resume a run") }
    }

    func run() throws {
        let invalidUTF8 = reading.invalidUTF8
        let reporter = ConsoleTrainingReporter(json: json)
        // Under mpirun: one rank of a data-parallel job (a group of one otherwise).
        let job = try DataParallelJob.join()
        let setup = GroupSetup(group: job.group, host: job.host)
        let trainer: Trainer
        if let resume {
            trainer = try resumedTrainer(resume, invalidUTF8: invalidUTF8, reporter: reporter, setup: setup)
        } else if let initFrom {
            trainer = try fineTunedTrainer(initFrom, invalidUTF8: invalidUTF8, reporter: reporter, setup: setup)
        } else {
            // Every rank picks the same default name: rank 0's.
            let name = runName ?? String(decoding: setup.group.broadcast(Array(Self.defaultRunName().utf8)), as: UTF8.self)
            trainer = try setup.agree {
                var training = trainingConfiguration(base: nil)
                let split = try TrainingSetup.loadCorpus(corpus, validationFraction: training.validationFraction,
                                                         evaluationCharacters: training.evaluationCharacters,
                                                         invalidUTF8: invalidUTF8, cache: reading.cache, report: reporter.noteOnStart)
                // Without any of --layers, --hidden, --embedding the size (and, unless given,
                // the dropout) comes from the corpus and the budget; with one, the fixed defaults.
                var model = ModelConfiguration(vocabularySize: split.vocabulary.count, embeddingSize: embedding ?? 64,
                                               hiddenSize: hidden ?? 128, layers: layers ?? 2, dropout: dropout ?? 0,
                                               cell: cell ?? .lstm, dropoutMask: .sequence)
                if layers == nil && hidden == nil && embedding == nil {
                    let chosen = ModelSizing.choose(vocabularySize: split.vocabulary.count, trainingCharacters: split.train.count,
                                                    training: training)
                    (model.layers, model.hiddenSize, model.embeddingSize) = (chosen.layers, chosen.hidden, chosen.embedding)
                    model.dropout = dropout ?? chosen.dropout
                    training.chosenSize = chosen
                    reporter.noteOnStart(describe(chosen, training: training))
                }
                applyRegularisation(to: &model)
                return try TrainingSetup.newRun(model: model, training: training, corpus: split,
                                                run: RunFolder(path: "checkpoints/\(name)"), reporter: reporter,
                                                group: setup.group)
            }
        }
        try setup.requireSame(trainer.corpusFingerprint) { rank, host in
            "rank \(rank) (host \(host)) reads other text than rank 0 from \(trainer.configuration.corpus.joined(separator: ", ")): every host needs the same corpus files"
        }
        // A resumed run keeps its thread count unless told otherwise: a different split of the
        // matrix multiplies may round differently, and exact resume means the same numbers.
        Parallel.configure(threads: trainer.configuration.threads)
        Interrupt.install(terminate: true)
        // Output is only a report on the run: when stderr or stdout is a pipe whose reader has
        // gone (`| head`, a closed `| tee`), the writes fail quietly and training carries on.
        signal(SIGPIPE, SIG_IGN)
        let speaks = setup.group.rank == 0
        if speaks { reporter.started(trainer) }
        let outcome = try trainer.train()
        if speaks { reporter.finished(trainer, outcome) }
        if case .diverged(let message) = outcome.reason { throw RuntimeFailure(message) }
    }

    /// The run's training settings: the flags given, else the resumed run's values, else defaults.
    func trainingConfiguration(base: TrainingConfiguration?) -> TrainingConfiguration {
        let budgetGiven = epochs != nil || steps != nil || minutes != nil
        var configuration = TrainingConfiguration(
            corpus: corpus.isEmpty ? (base?.corpus ?? []) : corpus.map { ($0 as NSString).standardizingPath },
            batch: batch ?? base?.batch ?? 50, sequenceLength: seq ?? base?.sequenceLength ?? 50,
            learningRate: lr ?? base?.learningRate ?? 2e-3, learningRateDecay: lrDecay ?? base?.learningRateDecay ?? 1,
            optimizer: optimizer ?? base?.optimizer ?? .adam, clip: clip ?? base?.clip ?? 5,
            validationFraction: valFraction ?? base?.validationFraction ?? 0.1,
            evaluateEvery: evalEvery ?? base?.evaluateEvery ?? 500, keep: keep ?? base?.keep ?? 5,
            seed: seed ?? base?.seed ?? 1, threads: threads ?? defaultThreads(base: base),
            maxEpochs: budgetGiven ? epochs : (base == nil ? 10 : base?.maxEpochs),
            maxSteps: budgetGiven ? steps : base?.maxSteps,
            maxMinutes: budgetGiven ? minutes : base?.maxMinutes,
            patience: patience ?? base?.patience, saveEveryMinutes: saveEveryMinutes ?? base?.saveEveryMinutes,
            evaluationCharacters: evaluationCharacters(base: base),
            // Unreadable paths record nothing here: reading the corpus reports them next.
            corpusLocations: corpus.isEmpty ? base?.corpusLocations : try? corpus.map(CorpusLocation.of),
            learningRateSchedule: lrSchedule ?? base?.learningRateSchedule ?? (base == nil ? (lrDecay == nil ? .cosine : .epochDecay) : nil),
            minutesStartSeconds: base == nil ? 0 : base?.minutesStartSeconds,
            weightDecay: weightDecay ?? base?.weightDecay ?? 0)
        configuration.chosenSize = base?.chosenSize
        return configuration
    }

    /// The line that says what `ModelSizing` chose, on what grounds, and how to choose otherwise.
    func describe(_ chosen: ChosenSize, training c: TrainingConfiguration) -> String {
        let dropout = self.dropout.map { "\($0) (given)" } ?? "\(chosen.dropout)"
        let text = RoughFigures.bytes(chosen.trainingCharacters) + " of training text"
        let speed = chosen.assumedCharsPerSecond.map { String(format: " at ~%.0f chars/s", $0) } ?? ""
        let budgetGiven = [c.maxMinutes.map { String(format: "%g min", $0) }, c.maxSteps.map { "\($0) steps" }, c.maxEpochs.map { "\($0) epochs" }]
            .compactMap { $0 }.joined(separator: " or ")
        let budget = "\(budgetGiven)\(speed) ≈ \(RoughFigures.characters(chosen.budgetCharacters)) characters, \(RoughFigures.number(chosen.epochs, digits: 3)) passes"
        return "model size chosen: \(chosen.layers)×\(chosen.hidden), embedding \(chosen.embedding), dropout \(dropout) for \(text) and \(budget); --layers, --hidden, --embedding and --dropout choose otherwise"
    }

    /// The training-time regularisation flags given, over `model`'s own.
    func applyRegularisation(to model: inout ModelConfiguration) {
        model.dropout = dropout ?? model.dropout
        model.dropoutMask = dropoutMask ?? model.dropoutMask
        model.embeddingDropout = embeddingDropout ?? model.embeddingDropout
        model.weightDrop = weightDrop ?? model.weightDrop
    }

    /// Where a resumed run's `--minutes` budget counts from: here when --minutes is given (or
    /// for a run from before budgets spanned sessions), else where the run's own began.
    func minutesStart(resuming stored: TrainingConfiguration, at position: TrainingPosition?) -> Double? {
        let here = position?.elapsedSeconds ?? 0
        if minutes != nil || stored.minutesStartSeconds == nil { return here }
        return stored.minutesStartSeconds
    }

    /// Without --threads: a resumed run's own count in one process (exact resume), else the
    /// cores this rank may use (a data-parallel job resumed with another process count
    /// shares the cores anew).
    func defaultThreads(base: TrainingConfiguration?) -> Int {
        if !MPIWorld.launched, let threads = base?.threads { return threads }
        return DataParallelJob.defaultThreads
    }

    /// `--eval-chars` (0: all, stored as nil), else the run's own cap, else the default.
    func evaluationCharacters(base: TrainingConfiguration?) -> Int? {
        if let evalChars { return evalChars == 0 ? nil : evalChars }
        guard let base else { return TrainingSetup.defaultEvaluationCharacters }
        return base.evaluationCharacters
    }

    /// A new run that starts from another checkpoint's weights (`--init-from`).
    func fineTunedTrainer(_ argument: String, invalidUTF8: InvalidUTF8Policy, reporter: ConsoleTrainingReporter,
                          setup: GroupSetup) throws -> Trainer {
        // Rank 0 reads the file (only its host may hold it); every rank decodes those bytes,
        // and they are what the parent's hash is taken of.
        var path = ""
        let bytes = Data(try setup.fromRankZero {
            path = try resolveCheckpointArgument(argument)
            return Array(try Checkpoint.readBytes(from: path))
        })
        path = setup.group.broadcast(path) ?? path
        let name = runName ?? String(decoding: setup.group.broadcast(Array(Self.defaultRunName().utf8)), as: UTF8.self)
        return try setup.agree {
            let parent = try Checkpoint.decode(bytes, from: path)
            let m = parent.model.configuration
            var conflicts = [String]()
            func check<T: Equatable>(_ flag: String, _ given: T?, _ actual: T) {
                if let given, given != actual { conflicts.append("--\(flag) \(given) (the checkpoint has \(actual))") }
            }
            check("cell", cell, m.cell); check("layers", layers, m.layers); check("hidden", hidden, m.hiddenSize)
            check("embedding", embedding, m.embeddingSize)
            if !conflicts.isEmpty {
                throw UsageError("\(path): cannot fine-tune with " + conflicts.joined(separator: ", ")
                                 + "; the architecture comes from the checkpoint: drop these flags")
            }
            let training = trainingConfiguration(base: nil)
            let split: SplitCorpus
            do {
                split = try TrainingSetup.loadCorpus(corpus, validationFraction: training.validationFraction,
                                                     vocabulary: parent.vocabulary, extendVocabulary: extendVocab,
                                                     evaluationCharacters: training.evaluationCharacters,
                                                     invalidUTF8: invalidUTF8, cache: reading.cache, report: reporter.noteOnStart)
            } catch let error as UsageError {
                throw UsageError("cannot fine-tune \(path) on this corpus: \(error.description); pass --extend-vocab to add them to the model")
            }
            if !split.addedCharacters.isEmpty {
                let count = split.addedCharacters.count
                reporter.noteOnStart("vocabulary extended by \(count) character\(count == 1 ? "" : "s"): "
                              + split.addedCharacters.map(visibleCharacter).joined(separator: ", "))
            }
            return try TrainingSetup.fineTune(parent, recordedAs: ParentCheckpoint(file: path, sha256: SHA256.hex(bytes)),
                                              regularise: applyRegularisation, training: training, corpus: split,
                                              run: RunFolder(path: "checkpoints/\(name)"), reporter: reporter,
                                              group: setup.group)
        }
    }

    func resumedTrainer(_ argument: String, invalidUTF8: InvalidUTF8Policy, reporter: ConsoleTrainingReporter,
                        setup: GroupSetup) throws -> Trainer {
        // Rank 0 finds and reads the checkpoint (only its host may hold the run folder); every
        // rank continues from those bytes, whatever number of processes wrote them.
        var path = "", folder = ""
        var checkpoint: Checkpoint?
        let bytes = Data(try setup.fromRankZero {
            let runFolder: RunFolder
            if RunFolder.isFolder(argument) {
                runFolder = RunFolder(path: argument)
                guard let latest = runFolder.latestCheckpoint else {
                    throw UsageError("\(argument): no step checkpoint to resume from (step-*.safetensors)")
                }
                path = latest
            } else {
                path = argument
                runFolder = RunFolder(path: (argument as NSString).deletingLastPathComponent)
            }
            folder = runFolder.path
            do {
                let data = try Checkpoint.readBytes(from: path)
                checkpoint = try Checkpoint.decode(data, from: path)
                return Array(data)
            } catch let error as CheckpointError {
                // A damaged newest checkpoint (a disk error, not a kill: writes are atomic) need
                // not end the run: say which older one to continue from instead.
                guard let older = runFolder.stepCheckpoints().last(where: { $0.path != path }) else { throw error }
                throw CheckpointError(path: error.path, problem: error.problem + "; continue from the previous one with --resume \(older.path)")
            }
        })
        path = setup.group.broadcast(path) ?? path
        folder = setup.group.broadcast(folder) ?? folder
        return try setup.agree {
            let checkpoint = try checkpoint ?? Checkpoint.decode(bytes, from: path)
            guard let stored = checkpoint.training else {
                throw UsageError("\(path) holds no training configuration, so it cannot be resumed")
            }
            try rejectConflicts(with: checkpoint, stored: stored, path: path)
            var training = trainingConfiguration(base: stored)
            training.minutesStartSeconds = minutesStart(resuming: stored, at: checkpoint.position)
            if training.corpus.isEmpty { throw UsageError("\(path) does not record its corpus: give the corpus on the command line") }
            let runFolder = RunFolder(path: folder)
            var paths = training.corpus
            if corpus.isEmpty {
                let found = try CorpusLocator.locate(training, runFolder: runFolder.path, runArgument: argument)
                found.forEach { reporter.noteOnStart($0.note) }
                paths = found.map(\.path)
                // Recorded afresh: the next resume looks where the text was found this time.
                training.corpusLocations = try? paths.map(CorpusLocation.of)
            }
            let split: SplitCorpus
            do {
                split = try TrainingSetup.loadCorpus(paths, validationFraction: training.validationFraction,
                                                     vocabulary: checkpoint.vocabulary,
                                                     evaluationCharacters: training.evaluationCharacters,
                                                     invalidUTF8: invalidUTF8, cache: reading.cache(forRun: runFolder), report: reporter.noteOnStart)
            } catch let error as UsageError {
                throw UsageError("cannot resume on this corpus: \(error.description)")
            }
            return try TrainingSetup.resume(from: checkpoint, path: path, training: training, corpus: split,
                                            run: runFolder, reporter: reporter, group: setup.group)
        }
    }

    /// On resume the architecture and the data layout come from the checkpoint; a flag that
    /// asks for something else is an error, never silently ignored.
    func rejectConflicts(with checkpoint: Checkpoint, stored: TrainingConfiguration, path: String) throws {
        let m = checkpoint.model.configuration
        var conflicts = [String]()
        func check<T: Equatable>(_ flag: String, _ given: T?, _ actual: T) {
            if let given, given != actual { conflicts.append("--\(flag) \(given) (the run has \(actual))") }
        }
        check("cell", cell, m.cell); check("layers", layers, m.layers); check("hidden", hidden, m.hiddenSize)
        check("embedding", embedding, m.embeddingSize); check("dropout", dropout, m.dropout)
        check("dropout-mask", dropoutMask, m.effectiveDropoutMask); check("embedding-dropout", embeddingDropout, m.embeddingDropout)
        check("weight-drop", weightDrop, m.weightDrop)
        check("batch", batch, stored.batch); check("seq", seq, stored.sequenceLength)
        check("optimizer", optimizer, stored.optimizer); check("seed", seed, stored.seed)
        check("val-fraction", valFraction, stored.validationFraction)
        if evalChars != nil, evaluationCharacters(base: stored) != stored.evaluationCharacters {
            // The best loss so far was measured on the run's own held-out characters.
            conflicts.append("--eval-chars \(evalChars!) (the run evaluates on \(stored.evaluationCharacters.map { "the first \($0)" } ?? "all") held-out characters)")
        }
        if let run = runName, ("checkpoints/\(run)" as NSString).standardizingPath != ((path as NSString).deletingLastPathComponent as NSString).standardizingPath {
            conflicts.append("--run \(run) (resuming continues in the checkpoint's own folder)")
        }
        if !conflicts.isEmpty {
            throw UsageError("\(path): cannot resume with " + conflicts.joined(separator: ", ") + "; drop these flags or start a new run")
        }
    }

    static func defaultRunName() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return "run-" + formatter.string(from: Date())
    }
}
