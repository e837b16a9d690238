import Foundation
import Tokenization

/// Where one corpus argument of a run (a file or a folder, as typed) was when the run started
/// or was last resumed, and what it held then: recorded beside the typed path, so a run resumed
/// from another working directory still finds its text, and a file that merely has the same
/// name is told apart from it.
public struct CorpusLocation: Codable, Equatable, Sendable {
    /// The typed path made absolute against the working directory of the time.
    public var absolutePath: String
    /// Its fingerprint: the text files it held and their total size in bytes.
    public var files: Int
    public var bytes: Int

    public init(absolutePath: String, files: Int, bytes: Int) {
        self.absolutePath = absolutePath
        self.files = files
        self.bytes = bytes
    }

    /// The location of `path` as it is now (relative paths against the working directory).
    public static func of(_ path: String) throws -> CorpusLocation {
        let found = try CorpusScan.identify([path])
        return CorpusLocation(absolutePath: absolute(path), files: found.count, bytes: found.reduce(0) { $0 + $1.size })
    }

    /// Whether the text at `other` is, by its fingerprint, the text recorded here.
    public func sameText(as other: CorpusLocation) -> Bool { files == other.files && bytes == other.bytes }

    /// The fingerprint in words, for messages.
    public var summary: String { "\(bytes) bytes in \(files) file\(files == 1 ? "" : "s")" }

    /// `path` made absolute against the working directory, without resolving symbolic links.
    public static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (full as NSString).standardizingPath
    }
}
