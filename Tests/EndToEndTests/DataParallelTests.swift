import Checkpoints
import Foundation
import XCTest

/// `mpirun -np N charlstm train …` through real Open MPI: the same parameters and losses as one
/// process, checkpoints that resume with any process count, faults and bad usage.
///
/// By default the ranks run on this machine (`--oversubscribe`); with CHARLSTM_MPIRUN_ARGS set
/// (`.ci/run` sets a hostfile of network namespaces, see scripts/mpi_hosts.sh) they run on those
/// hosts and talk over TCP. Skipped where Open MPI is not installed (`make test` installs it).
final class DataParallelTests: XCTestCase {
    /// 2×24 LSTM with dropout, 12 streams (divisible by 2, 3 and 4) of 16 characters; a constant
    /// rate, because some runs here extend their --steps budget on resume (which moves a cosine's end).
    static let tinyRun = ["--layers", "2", "--hidden", "24", "--embedding", "8", "--batch", "12", "--seq", "16",
                          "--dropout", "0.2", "--threads", "1", "--seed", "5", "--lr-schedule", "constant"]

    var workspace: Workspace!

    override func setUpWithError() throws {
        if Self.mpirun == nil {
            // Asked to run across hosts, a missing mpirun is a failure, not a reason to skip.
            if ProcessInfo.processInfo.environment["CHARLSTM_MPIRUN_ARGS"] != nil { XCTFail("CHARLSTM_MPIRUN_ARGS is set but mpirun is not installed") }
            throw XCTSkip("Open MPI's mpirun is not installed (make test installs it)")
        }
        workspace = try Workspace()
        try workspace.write(GeneratedText.words(2500, seed: 7), to: "corpus.txt")
    }

    static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `mpirun` for `ranks` processes, quiet (no banner of its own when a rank fails), allowed
    /// to run as root, plus CHARLSTM_MPIRUN_ARGS.
    static func launcher(ranks: Int) -> [String] {
        let extra = ProcessInfo.processInfo.environment["CHARLSTM_MPIRUN_ARGS"].map { $0.split(separator: " ").map(String.init) }
            ?? ["--oversubscribe"]
        return ["/usr/bin/env", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", mpirun!, "-q", "-np", "\(ranks)"]
            + extra
    }

    func train(ranks: Int, _ arguments: [String]) throws -> CommandResult {
        try workspace.run(["train"] + arguments, launcher: ranks > 1 ? Self.launcher(ranks: ranks) : [], timeout: 120)
    }

    /// Every tensor of two checkpoints (weights, optimizer moments, carried state), compared as
    /// ‖a − b‖ / ‖a‖.
    func assertSameTensors(_ a: String, _ b: String, within tolerance: Double, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: workspace.path(a))))
        let y = try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: workspace.path(b))))
        XCTAssertEqual(x.tensors.keys.sorted(), y.tensors.keys.sorted(), what, file: file, line: line)
        XCTAssertTrue(x.tensors.keys.contains("optimizer.carried_state.c_l1"), what, file: file, line: line)
        for name in x.tensors.keys.sorted() {
            let p = x.tensors[name]!.values, q = y.tensors[name]?.values ?? []
            XCTAssertEqual(p.count, q.count, name, file: file, line: line)
            let difference = zip(p, q).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            let norm = p.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertLessThanOrEqual(difference, tolerance * max(norm, 1e-30), "\(what): \(name)", file: file, line: line)
        }
    }

    func validationLosses(_ run: String) throws -> [Double] {
        try String(contentsOfFile: workspace.path("checkpoints/\(run)/log.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[3])! }
    }

    func testDataParallel_parametersAfterFiveStepsEqualOneProcessForTwoThreeAndFourRanks() throws {
        let one = try train(ranks: 1, ["corpus.txt", "--run", "one", "--steps", "5"] + Self.tinyRun)
        XCTAssertEqual(one.status, 0, one.stderr)
        for ranks in [2, 3, 4] {
            let many = try train(ranks: ranks, ["corpus.txt", "--run", "n\(ranks)", "--steps", "5"] + Self.tinyRun)
            XCTAssertEqual(many.status, 0, many.stderr)
            XCTAssertTrue(many.stderr.contains("over \(ranks) processes (\(12 / ranks) streams each)"), many.stderr)
            try assertSameTensors("checkpoints/one/step-00000005.safetensors", "checkpoints/n\(ranks)/step-00000005.safetensors",
                                  within: 1e-5, "\(ranks) ranks")
        }
    }

    func testDataParallel_validationLossesOfTwoHundredStepsAgreeWithOneProcess() throws {
        let budget = ["--steps", "200", "--eval-every", "50"] + Self.tinyRun
        XCTAssertEqual(try train(ranks: 1, ["corpus.txt", "--run", "one"] + budget).status, 0)
        let reference = try validationLosses("one")
        XCTAssertEqual(reference.count, 4)
        for ranks in [2, 3, 4] {
            let many = try train(ranks: ranks, ["corpus.txt", "--run", "n\(ranks)"] + budget)
            XCTAssertEqual(many.status, 0, many.stderr)
            let losses = try validationLosses("n\(ranks)")
            XCTAssertEqual(losses.count, reference.count)
            for (a, b) in zip(reference, losses) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(ranks) ranks: \(reference) vs \(losses)") }
        }
    }

    /// 2 ranks to step 10, 3 ranks to 20, one process to 30: the same as 30 steps in one process.
    func testDataParallel_resumesWithAnotherProcessCountAndInOneProcess() throws {
        XCTAssertEqual(try train(ranks: 1, ["corpus.txt", "--run", "whole", "--steps", "30", "--eval-every", "10"] + Self.tinyRun).status, 0)
        let first = try train(ranks: 2, ["corpus.txt", "--run", "mixed", "--steps", "10", "--eval-every", "10"] + Self.tinyRun)
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try train(ranks: 3, ["--resume", "checkpoints/mixed", "--steps", "20"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("resumed at step 10"), second.stderr)
        let third = try train(ranks: 1, ["--resume", "checkpoints/mixed", "--steps", "30"])
        XCTAssertEqual(third.status, 0, third.stderr)
        for step in ["00000010", "00000020", "00000030"] {
            try assertSameTensors("checkpoints/whole/step-\(step).safetensors", "checkpoints/mixed/step-\(step).safetensors",
                                  within: 1e-5, "step \(step)")
        }
        // And a single-process checkpoint resumes under mpirun.
        let back = try train(ranks: 4, ["--resume", "checkpoints/whole", "--steps", "35"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertNoThrow(try Checkpoint.read(from: workspace.path("checkpoints/whole/step-00000035.safetensors")))
    }

    func testDataParallel_killedRankEndsTheJobAndEveryCheckpointStillResumes() throws {
        let job = try workspace.start(["train", "corpus.txt", "--run", "k", "--steps", "100000", "--eval-every", "5"] + Self.tinyRun,
                                      launcher: Self.launcher(ranks: 2))
        // Wait for a few checkpoints, then kill one rank (not mpirun) with SIGKILL.
        let deadline = Date().addingTimeInterval(60)
        while workspace.files(in: "checkpoints/k").filter({ $0.hasPrefix("step-") }).count < 2, Date() < deadline { usleep(50_000) }
        let ranks = try rankProcesses()
        XCTAssertEqual(ranks.count, 2, "rank processes: \(ranks)")
        kill(try XCTUnwrap(ranks.last), SIGKILL)
        let killed = Date()
        let ended = job.wait(timeout: 30)
        XCTAssertNotNil(ended, "the job was still running 30 s after a rank was killed")
        if ended == nil { job.kill() }
        XCTAssertNotEqual(ended?.status ?? 0, 0)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 30)
        let checkpoints = workspace.files(in: "checkpoints/k").filter { $0.hasSuffix(".safetensors") }
        XCTAssertGreaterThanOrEqual(checkpoints.count, 2)
        for name in checkpoints { XCTAssertNoThrow(try Checkpoint.read(from: workspace.path("checkpoints/k/" + name)), name) }
        let resumed = try train(ranks: 3, ["--resume", "checkpoints/k", "--steps", "100000", "--minutes", "0.02"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let alone = try train(ranks: 1, ["--resume", "checkpoints/k", "--steps", "100000", "--minutes", "0.02"])
        XCTAssertEqual(alone.status, 0, alone.stderr)
    }

    /// SIGTERM to mpirun reaches every rank; all save once, at the same step, and each exits 0
    /// (mpirun itself answers a SIGTERM with status 1). SIGUSR1, which mpirun forwards, stops the
    /// job the same way with status 0 from mpirun too.
    func testDataParallel_terminationSavesOnceOnEveryRank() throws {
        for (signal, status) in [(SIGTERM, Int32(1)), (SIGUSR1, Int32(0))] {
            let run = "s\(signal)"
            let job = try workspace.start(["train", "corpus.txt", "--run", run, "--steps", "100000", "--eval-every", "100000"] + Self.tinyRun,
                                          launcher: Self.launcher(ranks: 3))
            let deadline = Date().addingTimeInterval(60)
            while (try? String(contentsOfFile: job.stderrPath, encoding: .utf8))?.contains("training 2×24") != true, Date() < deadline {
                usleep(50_000)
            }
            usleep(500_000)
            kill(job.process.processIdentifier, signal)
            let result = try XCTUnwrap(job.wait(timeout: 30))
            XCTAssertEqual(result.status, status, result.stderr)
            XCTAssertTrue(result.stderr.contains("(interrupted)"), result.stderr)
            let saved = workspace.files(in: "checkpoints/\(run)").filter { $0.hasPrefix("step-") }
            XCTAssertEqual(saved.count, 1, "\(saved)")
            let log = try String(contentsOfFile: workspace.path("checkpoints/\(run)/log.csv"), encoding: .utf8)
            XCTAssertEqual(log.split(separator: "\n").count, 2, log)
            XCTAssertNoThrow(try Checkpoint.read(from: workspace.path("checkpoints/\(run)/" + saved[0])))
        }
    }

    func testDataParallel_batchThatDoesNotSplitIsOneLineFromRankZero() throws {
        let result = try train(ranks: 4, ["corpus.txt", "--run", "b", "--steps", "5", "--batch", "10"] + Self.tinyRun.filter { $0 != "--batch" && $0 != "12" })
        result.assertRefused(saying: "--batch 10 does not split over 4 processes", "batch 10 over 4 ranks")
        XCTAssertFalse(workspace.files(in: "checkpoints").contains("b"))
    }

    /// Ranks given other files (mpirun's `A : B` form) stand for hosts with other disks.
    func testDataParallel_corpusMissingOrDifferentOnOneRankIsOneLineFromRankZero() throws {
        try workspace.write(GeneratedText.words(2500, seed: 8), to: "other.txt")
        let mpirun = Self.launcher(ranks: 1)
        func job(_ secondCorpus: String) throws -> CommandResult {
            let arguments = ["train", "corpus.txt", "--run", "c", "--steps", "5"] + Self.tinyRun
            let second = ["train", secondCorpus, "--run", "c", "--steps", "5"] + Self.tinyRun
            return try workspace.run(arguments + [":", "-np", "1", Workspace.binary] + second, launcher: mpirun, timeout: 120)
        }
        let missing = try job("gone.txt")
        missing.assertRefused(saying: "rank 1 (host ", "corpus missing on rank 1")
        XCTAssertTrue(missing.stderr.contains("gone.txt"), missing.stderr)
        let different = try job("other.txt")
        different.assertRefused(saying: "rank 1 (host ", "other corpus on rank 1")
        XCTAssertTrue(different.stderr.contains("reads other text than rank 0"), different.stderr)
    }

    /// The charlstm processes mpirun started, directly or through its daemons.
    func rankProcesses() throws -> [Int32] {
        let output = Pipe()
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        ps.arguments = ["-f", "^" + Workspace.binary + " train"]
        ps.standardOutput = output
        try ps.run()
        ps.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").compactMap { Int32($0) }
    }
}
