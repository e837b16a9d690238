// Training throughput of CharLSTM, for side-by-side runs with Benchmarks/pytorch_reference.py
// (Benchmarks/compare.py runs both and prints the ratios; Benchmarks/sampling.sh does the same
// for batch-1 sampling through `charlstm generate`).
//
//     charlstm-benchmark train S|M|L CORPUS [--steps N] [--warmup N] [--threads N]
//     charlstm-benchmark sgemm
//     charlstm-benchmark batch S|M|L [--steps N]
//
// Each prints one JSON line. Run each configuration in its own process so peak RSS is its own.
import CKernels
import Checkpoints
import Foundation
import Kernels
import RecurrentNetwork
import Tokenization
import Training

struct BenchmarkConfiguration {
    let name: String, layers: Int, hidden: Int, batch: Int, sequence: Int
    static let all = [
        BenchmarkConfiguration(name: "S", layers: 2, hidden: 128, batch: 50, sequence: 50),
        BenchmarkConfiguration(name: "M", layers: 2, hidden: 512, batch: 64, sequence: 64),
        BenchmarkConfiguration(name: "L", layers: 3, hidden: 512, batch: 64, sequence: 128),
    ]
    static let embedding = 64
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func option(_ name: String, default value: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return value }
    return v
}

/// Best of five 2048³ sgemm calls: the machine's practical single-precision peak for this BLAS.
func sgemmPeak() -> Double {
    let n = 2048
    let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
    var rng = SeededGenerator(seed: 1)
    for k in 0..<n * n { a[k] = rng.nextUnitFloat(); b[k] = rng.nextUnitFloat() }
    var best = 0.0
    for _ in 0..<5 {
        let start = Date()
        BLAS.gemm(m: n, n: n, k: n, a.pointer, lda: n, b.pointer, ldb: n, c.pointer, ldc: n)
        best = max(best, 2 * Double(n * n * n) / Date().timeIntervalSince(start) / 1e9)
    }
    return best
}

func loadConfiguration(_ name: String) -> BenchmarkConfiguration {
    guard let c = BenchmarkConfiguration.all.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("unknown configuration \(name): use S, M or L\n".utf8))
        exit(2)
    }
    return c
}

func loadCorpus(_ path: String, validationFraction: Double) -> SplitCorpus {
    do { return try TrainingSetup.loadCorpus([path], validationFraction: validationFraction, invalidUTF8: .fail,
                                             cache: TokenCache(folder: NSTemporaryDirectory() + "charlstm-benchmark-cache")) } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
}

func benchmarkTraining(_ c: BenchmarkConfiguration, corpus path: String) {
    let steps = option("--steps", default: c.name == "S" ? 200 : (c.name == "M" ? 30 : 12))
    let warmup = option("--warmup", default: 3)
    let corpus = loadCorpus(path, validationFraction: 0.1)
    let model = ModelConfiguration(vocabularySize: corpus.vocabulary.count, embeddingSize: BenchmarkConfiguration.embedding,
                                   hiddenSize: c.hidden, layers: c.layers)
    let training = TrainingConfiguration(corpus: [path], batch: c.batch, sequenceLength: c.sequence, learningRate: 2e-3,
                                         learningRateDecay: 1, optimizer: .adam, clip: 5, validationFraction: 0.1,
                                         evaluateEvery: 0, keep: 1, seed: 1, threads: Parallel.threads,
                                         maxEpochs: nil, maxSteps: nil, maxMinutes: nil)
    let folder = NSTemporaryDirectory() + "charlstm-benchmark-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let trainer: Trainer
    do {
        trainer = try TrainingSetup.newRun(model: model, training: training, corpus: corpus,
                                           run: RunFolder(path: folder), reporter: nil)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
    for _ in 0..<warmup { _ = trainer.step() }
    let start = Date()
    for _ in 0..<steps { _ = trainer.step() }
    let seconds = Date().timeIntervalSince(start)
    let chars = Double(steps * c.batch * c.sequence)
    let validation = trainer.validationLoss() ?? .nan
    let gflops = 6 * Double(trainer.model.parameterCount) * chars / seconds / 1e9
    emit(["what": "train", "config": c.name, "steps": steps, "chars_per_sec": chars / seconds,
          "ms_per_step": seconds / Double(steps) * 1000, "gflops": gflops, "parameters": trainer.model.parameterCount,
          "val_loss": validation, "trained_steps": warmup + steps, "peak_rss_mib": peakRSSMiB(),
          "threads": Parallel.threads, "blas_kernel": BLAS.kernelName, "kernel_isa": String(cString: ck_vector_isa())])
}

/// CPU time of this process, all threads, in seconds: on a loaded machine the time a step
/// takes on the CPU moves much less than the time it waits for one.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// The generation step of `charlstm serve`: an `InferenceBatch` of k streams (vocabulary 65, as
/// the corpus's) stepped together, for k from 1 to 64, its products on one thread and split
/// across all cores: time per step (wall and CPU), and characters per second over all k streams
/// (what k concurrent clients can get at most, before sampling and sending).
func benchmarkBatch(_ c: BenchmarkConfiguration) {
    let steps = option("--steps", default: 400)
    let model = CharModel(configuration: ModelConfiguration(vocabularySize: 65, embeddingSize: BenchmarkConfiguration.embedding,
                                                            hiddenSize: c.hidden, layers: c.layers), seed: 1)
    let weights = FusedWeights(model: model)
    let tokens = (0..<64).map { Int32($0 % 65) }
    for threads in Set([1, ProcessInfo.processInfo.activeProcessorCount]).sorted() {
        for k in [1, 2, 4, 8, 16, 32, 64] {
            let batch = InferenceBatch(weights: weights, capacity: k)
            batch.threads = threads
            tokens.withUnsafeBufferPointer { all in
                let row = UnsafeBufferPointer(rebasing: all[0..<k])
                for _ in 0..<20 { batch.step(row) }
                let start = Date(), cpuStart = processCPUSeconds()
                for _ in 0..<steps { batch.step(row) }
                let seconds = Date().timeIntervalSince(start) / Double(steps)
                let cpu = (processCPUSeconds() - cpuStart) / Double(steps)
                emit(["what": "batch", "config": c.name, "streams": k, "threads": threads, "ms_per_step": seconds * 1000,
                      "cpu_ms_per_step": cpu * 1000, "chars_per_sec": Double(k) / seconds, "blas_kernel": BLAS.kernelName])
            }
        }
    }
}

let arguments = CommandLine.arguments
BLASKernelSelection.chooseFastKernelsIfMisdetected()
Parallel.configure(threads: option("--threads", default: ProcessInfo.processInfo.activeProcessorCount))
switch (arguments.count > 1 ? arguments[1] : "", arguments.count) {
case ("train", 4...): benchmarkTraining(loadConfiguration(arguments[2]), corpus: arguments[3])
case ("batch", 3...): benchmarkBatch(loadConfiguration(arguments[2]))
case ("sgemm", _):
    BLAS.threads = Parallel.threads  // the peak of BLAS's own threading over all cores
    emit(["what": "sgemm", "gflops": sgemmPeak(), "threads": Parallel.threads, "blas_kernel": BLAS.kernelName])
default:
    FileHandle.standardError.write(Data("usage: charlstm-benchmark train S|M|L CORPUS | sgemm | batch S|M|L\n".utf8))
    exit(2)
}
