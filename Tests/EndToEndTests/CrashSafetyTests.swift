import Checkpoints
import Foundation
import Kernels
import XCTest

/// The run folder survives anything: kill -9 at random moments, a disk that refuses the write.
final class CrashSafetyTests: XCTestCase {
    /// Checkpoints every 2 steps of a tiny model, so a good share of the run's time is spent
    /// writing files and the kills land in every phase: computing, writing, renaming, pruning.
    static let frequentCheckpoints = ["--layers", "1", "--hidden", "12", "--embedding", "6", "--batch", "4",
                                      "--seq", "12", "--eval-every", "2", "--keep", "3", "--threads", "1",
                                      "--steps", "100000"]

    func testTraining_killedAtRandomMomentsLeavesEveryCheckpointLoadableAndResumable() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        let run = "checkpoints/crash"
        var rng = SeededGenerator(seed: 2024)
        let trials = 56
        var resumedTrials = 0, checkpointsChecked = 0, killedMidWrite = 0
        for trial in 0..<trials {
            let hasCheckpoint = !RunFolder(path: w.path(run)).stepCheckpoints().isEmpty
            let arguments = hasCheckpoint
                ? ["train", "--resume", run]
                : ["train", "corpus.txt", "--run", "crash"] + Self.frequentCheckpoints
            if hasCheckpoint { resumedTrials += 1 }
            let command = try w.start(arguments)
            // From almost at once (still loading the corpus) to well into the run: 20 ms … 700 ms.
            usleep(UInt32(20_000 + rng.next() % 680_000))
            let result = command.kill()
            XCTAssertTrue(result.errorLines.isEmpty, "trial \(trial): \(result.stderr)")
            // The writer names its temporary file after its process id.
            let pid = command.process.processIdentifier
            if w.files(in: run).contains(where: { AtomicFile.isTemporaryName($0) && $0.hasSuffix("-\(pid)") }) { killedMidWrite += 1 }

            for name in w.files(in: run) where name.hasSuffix(".safetensors") && !name.hasPrefix(".") {
                XCTAssertNoThrow(try Checkpoint.read(from: w.path("\(run)/\(name)")), "trial \(trial): \(name) does not load")
                checkpointsChecked += 1
            }
            let steps = RunFolder(path: w.path(run)).stepCheckpoints()
            XCTAssertLessThanOrEqual(steps.count, 3 + 1, "trial \(trial): more step checkpoints than --keep 3 (+1 while pruning)")
        }
        XCTAssertGreaterThanOrEqual(resumedTrials, trials / 2, "most trials should resume a run that has checkpoints")

        // After all that, the run resumes and finishes normally, and nothing is left behind.
        let latest = try XCTUnwrap(RunFolder(path: w.path(run)).stepCheckpoints().last)
        let finish = try w.run(["train", "--resume", run, "--steps", String(latest.step + 4)])
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertTrue(finish.stderr.contains("resumed at step \(latest.step)"), finish.stderr)
        let final = try Checkpoint.read(from: w.path("\(run)/step-\(String(format: "%08d", latest.step + 4)).safetensors"))
        XCTAssertEqual(final.position?.step, latest.step + 4)
        XCTAssertEqual(w.files(in: run).filter { $0.hasPrefix(".") }, [], "temporary files left behind")
        XCTAssertNoThrow(try Checkpoint.read(from: w.path("\(run)/best.safetensors")))
        print("kill -9 trials: \(trials) (\(resumedTrials) of them resumed runs, \(killedMidWrite) killed mid-write), checkpoint files checked: \(checkpointsChecked), final step \(latest.step + 4)")
    }

    /// A write that fails part-way (here the file-size limit, as a full disk would) stops the
    /// run with one line naming the file and exit status 1, and leaves no temporary file.
    func testTraining_failedCheckpointWriteReportsOneLineAndLeavesNoTemporaryFile() throws {
        try Sanitizer.skipUnderAFileSizeLimit()
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        // 16 KiB limit (ulimit counts 1 KiB blocks); the first checkpoint of this model is ~60 KiB.
        // SIGXFSZ ignored, so the write fails with EFBIG instead of killing the process.
        let result = try w.run(["train", "corpus.txt", "--run", "full", "--layers", "2", "--hidden", "24",
                                "--batch", "4", "--seq", "12", "--steps", "4", "--eval-every", "2", "--threads", "1"],
                               shellPrefix: "trap '' XFSZ; ulimit -f 16")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.errorLines.count, 1, result.stderr)
        let line = result.errorLines.first ?? ""
        // The first evaluation is an improvement, so best.safetensors is the first file written.
        XCTAssertTrue(line.hasPrefix("charlstm: checkpoints/full/best.safetensors: cannot write it ("), line)
        XCTAssertEqual(w.files(in: "checkpoints/full").filter { $0.hasPrefix(".") }, [], "temporary files left behind")
        XCTAssertEqual(w.files(in: "checkpoints/full").filter { $0.hasSuffix(".safetensors") }, [])
    }

    /// A tiny run of `steps` steps, checkpointed every 5, in `checkpoints/NAME`.
    static func tinyRun(_ name: String, steps: Int) -> [String] {
        ["train", "corpus.txt", "--run", name, "--layers", "1", "--hidden", "12", "--embedding", "6", "--batch", "4",
         "--seq", "12", "--steps", String(steps), "--eval-every", "5", "--threads", "1"]
    }

    /// The bytes of every file in the run folder, by name.
    func snapshot(_ w: Workspace, _ run: String) -> [String: Data] {
        Dictionary(uniqueKeysWithValues: w.files(in: run).map { ($0, FileManager.default.contents(atPath: w.path("\(run)/\($0)")) ?? Data()) })
    }

    /// The disk fills up in the middle of a run that already has checkpoints: the run stops
    /// with one line, every earlier file is byte for byte as it was, and once there is room
    /// again `--resume` carries on from the last good checkpoint.
    func testTraining_diskFullMidRunKeepsEarlierCheckpointsAndResumesOnceThereIsRoom() throws {
        try Sanitizer.skipUnderAFileSizeLimit()
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        XCTAssertEqual(try w.run(Self.tinyRun("full", steps: 10)).status, 0)
        let run = "checkpoints/full"
        let before = snapshot(w, run)

        // A checkpoint of this model is ~18 KiB; a 4 KiB file-size limit refuses the next one.
        let full = try w.run(["train", "--resume", run, "--steps", "20"], shellPrefix: "trap '' XFSZ; ulimit -f 4")
        XCTAssertEqual(full.status, 1, full.stderr)
        XCTAssertEqual(full.errorLines.count, 1, full.stderr)
        XCTAssertTrue(full.errorLines.first?.hasPrefix("charlstm: \(run)/") ?? false, full.stderr)
        XCTAssertTrue(full.errorLines.first?.contains(": cannot write it (") ?? false, full.stderr)
        for (name, bytes) in before where name.hasSuffix(".safetensors") {
            XCTAssertEqual(FileManager.default.contents(atPath: w.path("\(run)/\(name)")), bytes, "\(name) changed")
            XCTAssertNoThrow(try Checkpoint.read(from: w.path("\(run)/\(name)")), name)
        }
        XCTAssertEqual(w.files(in: run).filter { $0.hasPrefix(".") }, [], "temporary files left behind")

        let resumed = try w.run(["train", "--resume", run, "--steps", "20"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed at step 10"), resumed.stderr)
        XCTAssertEqual(try Checkpoint.read(from: w.path("\(run)/step-00000020.safetensors")).position?.step, 20)
    }

    /// A real full disk (ENOSPC): the checkpoints folder is a 64 KiB tmpfs, mounted in a private
    /// mount namespace (needs root with CAP_SYS_ADMIN; skipped elsewhere, where the `ulimit -f`
    /// tests above stand in). Training keeps every checkpoint and fills the disk within a few
    /// evaluations: one line, exit 1, what was written loads, nothing half-written is left, and
    /// once the filesystem is grown `--resume` continues.
    func testTraining_realFullDiskStopsWithOneLineAndResumesWhenThereIsRoom() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        try FileManager.default.createDirectory(atPath: w.path("checkpoints"), withIntermediateDirectories: true)
        try w.write("""
            set -u
            mount -t tmpfs -o size=64k tmpfs checkpoints || exit 77
            "$1" train corpus.txt --run full --layers 1 --hidden 12 --embedding 6 --batch 4 --seq 12 \
                --steps 100000 --eval-every 2 --keep 100 --threads 1 2>train.err
            echo "TRAIN $?"
            for f in checkpoints/full/*.safetensors; do
                if "$1" info "$f" >/dev/null 2>&1; then echo "LOADS $f"; else echo "BROKEN $f"; fi
            done
            for f in checkpoints/full/.*; do case "$f" in */.|*/..) ;; *) echo "LEFT $f" ;; esac; done
            mount -o remount,size=1m checkpoints
            latest=$(ls checkpoints/full | grep '^step-' | tail -1 | sed 's/step-0*//; s/.safetensors//')
            "$1" train --resume checkpoints/full --steps $((latest + 4)) 2>resume.err
            echo "RESUME $? $latest"
            """, to: "full-disk.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["unshare", "-m", "sh", "full-disk.sh", Workspace.binary]
        process.currentDirectoryURL = URL(fileURLWithPath: w.folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw XCTSkip("cannot mount a small tmpfs here (needs root with CAP_SYS_ADMIN and unshare): the ulimit -f tests cover the failing write")
        }
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("TRAIN 1"), text)
        let trainErr = try String(contentsOfFile: w.path("train.err"), encoding: .utf8)
        let errors = trainErr.split(separator: "\n").filter { $0.hasPrefix("charlstm: ") }
        XCTAssertEqual(errors.count, 1, trainErr)
        XCTAssertTrue(errors.first?.hasSuffix("cannot write it (No space left on device)") ?? false, trainErr)
        XCTAssertEqual(lines.filter { $0.hasPrefix("BROKEN") || $0.hasPrefix("LEFT") }, [], text)
        XCTAssertGreaterThanOrEqual(lines.filter { $0.hasPrefix("LOADS") }.count, 2, text)
        let resumeErr = (try? String(contentsOfFile: w.path("resume.err"), encoding: .utf8)) ?? ""
        XCTAssertTrue(lines.contains { $0.hasPrefix("RESUME 0 ") }, text + resumeErr)
        print("full disk (64 KiB tmpfs): \(errors.first ?? ""); \(lines.filter { $0.hasPrefix("LOADS") }.count) files load; resumed")
    }

    /// The run folder stops accepting files while training writes checkpoints every 2 steps:
    /// one line naming the file it could not write, exit status 1, every checkpoint already
    /// there still loads, and `--resume` continues once the folder is writable again.
    func testTraining_runFolderTurnedReadOnlyMidRunStopsWithOneLineAndResumesLater() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        let run = "checkpoints/locked"
        let command = try w.start(["train", "corpus.txt", "--run", "locked"] + Self.frequentCheckpoints)
        let deadline = Date().addingTimeInterval(60)
        while RunFolder(path: w.path(run)).stepCheckpoints().count < 2, command.process.isRunning, Date() < deadline {
            usleep(10_000)
        }
        guard let lock = ReadOnlyFolder(w.path(run)) else {
            command.kill()
            throw XCTSkip("this machine cannot make a folder read-only for the test's user (chattr +i unsupported as root)")
        }
        defer { lock.release() }
        guard let stopped = command.wait(timeout: 60) else {
            command.kill()
            return XCTFail("training went on for 60 s in a read-only run folder")
        }
        XCTAssertEqual(stopped.status, 1, stopped.stderr)
        XCTAssertEqual(stopped.errorLines.count, 1, stopped.stderr)
        let line = stopped.errorLines.first ?? ""
        XCTAssertTrue(line.hasPrefix("charlstm: \(run)/") && line.contains(": cannot write it ("), line)
        var loaded = 0
        for name in w.files(in: run) where name.hasSuffix(".safetensors") && !name.hasPrefix(".") {
            XCTAssertNoThrow(try Checkpoint.read(from: w.path("\(run)/\(name)")), name)
            loaded += 1
        }
        XCTAssertGreaterThanOrEqual(loaded, 2, "\(w.files(in: run))")

        lock.release()
        let latest = try XCTUnwrap(RunFolder(path: w.path(run)).stepCheckpoints().last)
        let resumed = try w.run(["train", "--resume", run, "--steps", String(latest.step + 4)])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resumed at step \(latest.step)"), resumed.stderr)
        XCTAssertEqual(w.files(in: run).filter { $0.hasPrefix(".") }, [], "temporary files left behind")
        print("read-only run folder (\(lock.method)): stopped with \(line)")
    }

    /// One trial per delay (µs): `prepare` writes `file`, the command for that trial starts,
    /// and after the delay `file` is emptied in place. Each time the process must exit (never die
    /// by a signal) with 0 or with 2 and one line. Returns the exit statuses.
    func truncateWhileRunning(_ w: Workspace, file: String, delays: [Int], timeout: TimeInterval,
                              prepare: () throws -> Void, command arguments: (Int) -> [String]) throws -> [Int32] {
        var outcomes = [Int32]()
        for (trial, delay) in delays.enumerated() {
            try prepare()
            let command = try w.start(arguments(trial))
            usleep(UInt32(delay))
            try FileHandle(forWritingTo: URL(fileURLWithPath: w.path(file))).truncate(atOffset: 0)
            let result = try XCTUnwrap(command.wait(timeout: timeout))
            XCTAssertEqual(command.process.terminationReason, .exit, "trial \(trial) died by signal \(result.status)")
            XCTAssertTrue([0, 2].contains(result.status), result.stderr)
            if result.status == 2 { XCTAssertEqual(result.stderrLines.count, 1, result.stderr) }
            outcomes.append(result.status)
        }
        return outcomes
    }

    /// The corpus file is emptied in place while training is still reading it (an editor or a
    /// script rewriting it): whatever was read is used, or one line says what is wrong — never
    /// a crash (a memory-mapped read died with SIGBUS here).
    func testTraining_corpusTruncatedWhileBeingReadNeverCrashes() throws {
        let w = try Workspace()
        let text = String(repeating: GeneratedText.words(20_000, seed: 6), count: 80)
        let outcomes = try truncateWhileRunning(w, file: "big.txt", delays: [20_000, 60_000, 150_000], timeout: 300,
                                                prepare: { try w.write(text, to: "big.txt") }) { trial in
            ["train", "big.txt", "--run", "t\(trial)", "--steps", "2", "--eval-every", "0",
             "--layers", "1", "--hidden", "8", "--embedding", "4", "--batch", "4", "--seq", "8"]
        }
        print("corpus truncated while being read: 3 trials, exit statuses \(outcomes), no signal")
    }

    /// A checkpoint emptied in place while `info` reads it (`cp` over it truncates first): one
    /// line saying it is damaged, or the whole file was read first — never a crash.
    func testCheckpoint_truncatedWhileBeingReadNeverCrashes() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        // A 40 MB checkpoint, so reading it takes long enough to be caught in the middle.
        let train = try w.run(["train", "corpus.txt", "--run", "big", "--layers", "2", "--hidden", "512", "--batch", "2",
                               "--seq", "4", "--steps", "1", "--eval-every", "1", "--threads", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let original = try Data(contentsOf: URL(fileURLWithPath: w.path("checkpoints/big/best.safetensors")))
        let outcomes = try truncateWhileRunning(w, file: "copy.safetensors", delays: [5_000, 20_000, 50_000, 100_000],
                                                timeout: 120, prepare: {
            try original.write(to: URL(fileURLWithPath: w.path("copy.safetensors")))
        }) { _ in ["info", "copy.safetensors"] }
        print("checkpoint truncated while being read: 4 trials, exit statuses \(outcomes), no signal")
    }

    /// `generate --output` killed with -9 mid-write leaves its hidden temporary file (nothing can
    /// prevent that); the next write of the same file removes it, and the target appears whole.
    func testGenerateOutput_killedMidWriteLeavesNothingAfterTheNextWrite() throws {
        let w = try Workspace()
        try w.write(GeneratedText.words(600, seed: 5), to: "corpus.txt")
        XCTAssertEqual(try w.run(Self.tinyRun("model", steps: 2)).status, 0)
        let command = try w.start(["generate", "--checkpoint", "checkpoints/model", "--length", "100000000", "--output", "out.txt"])
        let deadline = Date().addingTimeInterval(60)
        while !w.files(in: ".").contains(where: { $0.hasPrefix(".out.txt.tmp-") }), command.process.isRunning, Date() < deadline {
            usleep(10_000)
        }
        usleep(100_000)
        command.kill()
        XCTAssertEqual(w.files(in: ".").filter { $0.hasPrefix(".out.txt.tmp-") }.count, 1, "\(w.files(in: "."))")
        XCTAssertFalse(w.files(in: ".").contains("out.txt"))

        let again = try w.run(["generate", "--checkpoint", "checkpoints/model", "--length", "50", "--output", "out.txt"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(w.files(in: ".").filter { $0.contains("out.txt") }, ["out.txt"])
        XCTAssertEqual(try String(contentsOfFile: w.path("out.txt"), encoding: .utf8).unicodeScalars.count, 50)
    }

    /// The corpus file is deleted while training runs: training already holds the text, so
    /// the run finishes; a later `--resume` names the missing file and says how to go on, and
    /// giving the text again continues the run.
    func testTraining_corpusDeletedAfterStartFinishesAndResumeAsksForTheText() throws {
        let w = try Workspace()
        let text = GeneratedText.words(600, seed: 5)
        try w.write(text, to: "corpus.txt")
        let command = try w.start(Self.tinyRun("gone", steps: 300))
        let stderrSoFar = { (try? String(contentsOfFile: command.stderrPath, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(60)
        while !stderrSoFar().contains("training 1×12 LSTM"), command.process.isRunning, Date() < deadline {
            usleep(5_000)
        }
        try FileManager.default.removeItem(atPath: w.path("corpus.txt"))
        let finished = try XCTUnwrap(command.wait(timeout: 120), "training did not finish")
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertTrue(finished.stderr.contains("stopped at step 300 (budget reached)"), finished.stderr)

        let resume = try w.run(["train", "--resume", "checkpoints/gone", "--steps", "310"])
        XCTAssertEqual(resume.status, 2, resume.stderr)
        XCTAssertEqual(resume.errorLines, ["charlstm: cannot resume checkpoints/gone: its corpus corpus.txt is gone (looked at \(CorpusLocation.absolute(w.path("corpus.txt")))); give the text again: charlstm train FILE... --resume checkpoints/gone"])

        try w.write(text, to: "moved.txt")
        let again = try w.run(["train", "moved.txt", "--resume", "checkpoints/gone", "--steps", "310"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("resumed at step 300"), again.stderr)
    }
}

/// A folder that refuses new files and renames for the test's user. chmod does not stop root,
/// so as root the folder is made immutable (`chattr +i`); otherwise its write bits are removed.
/// A probe file checks that writes really fail; `init` returns nil when they do not.
final class ReadOnlyFolder {
    let folder: String
    let method: String
    private var released = false

    init?(_ folder: String) {
        self.folder = folder
        if geteuid() == 0 {
            method = "chattr +i"
            guard Self.chattr("+i", folder) else { return nil }
        } else {
            method = "chmod a-w"
            guard chmod(folder, 0o555) == 0 else { return nil }
        }
        let probe = (folder as NSString).appendingPathComponent(".probe")
        if FileManager.default.createFile(atPath: probe, contents: Data()) {
            try? FileManager.default.removeItem(atPath: probe)
            release()
            return nil
        }
    }

    /// Makes the folder writable again (idempotent).
    func release() {
        guard !released else { return }
        released = true
        if method == "chattr +i" { _ = Self.chattr("-i", folder) } else { chmod(folder, 0o755) }
    }

    deinit { release() }

    private static func chattr(_ flag: String, _ path: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["chattr", flag, path]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
