import Foundation
import Training

/// Setting up a data-parallel run so that a failure on any rank stops every rank, with one
/// line from rank 0: a corpus missing on one host, a checkpoint only rank 0's host holds.
struct GroupSetup {
    let group: any TrainingGroup
    let host: String

    /// Runs `body` on every rank. When it failed on any, all stop: rank 0 throws the first
    /// failure (its own error, or the other rank's line naming that rank and its host), the
    /// other ranks `StoppedWithRankZero` with the same exit status.
    func agree<T>(_ body: () throws -> T) throws -> T {
        let result = Result(catching: body)
        guard group.size > 1 else { return try result.get() }
        var status: Int32 = 0, message = ""
        if case .failure(let error) = result, let failure = Entry.failure(error) { (message, status) = failure }
        // A failure report: the status, this host's name, the message.
        let reports = group.gather(Self.word(status) + Self.field(host, 256) + Self.field(message, 2048))
        // Rank 0 names the first rank that failed and its status; every rank learns them.
        let first = reports.firstIndex { Self.word($0, at: 0) != 0 }
        let verdict = group.broadcast(first.map { Self.word(Int32($0)) + Self.word(Self.word(reports[$0], at: 0)) } ?? [])
        guard !verdict.isEmpty else { return try result.get() }
        let failedRank = Int(Self.word(verdict, at: 0)), failedStatus = Self.word(verdict, at: 4)
        guard group.rank == 0 else { throw StoppedWithRankZero(status: failedStatus) }
        if failedRank == 0 { _ = try result.get() }
        let report = reports[failedRank]
        throw RankFailure(description: "rank \(failedRank) (host \(Self.text(report[4 ..< 260]))): \(Self.text(report[260...]))",
                          status: failedStatus)
    }

    /// Rank 0 runs `read` (a file only its host may hold); when it fails, every rank stops as
    /// in `agree`. Every rank gets the bytes it returned.
    func fromRankZero(_ read: () throws -> [UInt8]) throws -> [UInt8] {
        let bytes = try agree { group.rank == 0 ? try read() : [] }
        return group.broadcast(bytes)
    }

    /// Stops every rank with a usage error, from rank 0, when `value` (a corpus's fingerprint)
    /// is not the same on all ranks; `describe` says what differs on the first such rank.
    func requireSame(_ value: String, _ describe: (_ rank: Int, _ host: String) -> String) throws {
        guard group.size > 1 else { return }
        let reports = group.gather(Self.field(host, 256) + Self.field(value, 256))
        try agree {
            guard group.rank == 0, let differing = reports.firstIndex(where: { $0[256...] != reports[0][256...] }) else { return }
            throw UsageError(describe(differing, Self.text(reports[differing][0..<256])))
        }
    }

    private static func word(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    private static func word(_ bytes: [UInt8], at offset: Int) -> Int32 {
        Int32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) })
    }

    /// `text` in exactly `size` bytes: cut, or padded with NULs.
    private static func field(_ text: String, _ size: Int) -> [UInt8] {
        let bytes = Array(text.utf8.prefix(size))
        return bytes + [UInt8](repeating: 0, count: size - bytes.count)
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Another rank's setup failure, as rank 0 reports it.
struct RankFailure: Error, CustomStringConvertible {
    let description: String
    let status: Int32
}
