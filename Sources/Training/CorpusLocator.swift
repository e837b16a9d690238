import Checkpoints
import Foundation

/// Finds the text of a run being resumed without its corpus on the command line. A run records
/// each corpus path as typed, relative to the folder it was started in, and (since 0.14.0)
/// beside it the absolute path and a fingerprint (`CorpusLocation`). Each path is looked for:
///
/// 1. at the recorded absolute path;
/// 2. as typed, from the current folder;
/// 3. relative to the folder the run was started in: runs live in `checkpoints/<run>/` there,
///    so this finds the corpus of a run recorded before absolute paths were, and of a project
///    folder moved as a whole.
///
/// The first place whose text has the recorded fingerprint wins; when none has (the file was
/// edited since), the first place that exists is used with a warning; an older run without a
/// fingerprint takes the first that exists. Every choice is reported in a note.
public enum CorpusLocator {
    /// One corpus path of the run, where it was found, and the note that says so.
    public struct Found {
        public var path: String
        public var note: String
    }

    /// The places to read the run's corpus from, one per path of `training.corpus`. `runFolder`
    /// is the run's folder; `runArgument` is how the user named the run, for the advice given
    /// when a path is found nowhere.
    public static func locate(_ training: TrainingConfiguration, runFolder: String, runArgument: String) throws -> [Found] {
        try training.corpus.enumerated().map { index, typed in
            try locate(typed, recorded: training.corpusLocations?[index], runFolder: runFolder, runArgument: runArgument)
        }
    }

    static func locate(_ typed: String, recorded: CorpusLocation?, runFolder: String, runArgument: String) throws -> Found {
        var places = [(path: String, how: String)]()
        if let recorded { places.append((recorded.absolutePath, "the absolute path recorded with the run")) }
        places.append((typed, "as typed, from the current folder"))
        if !typed.hasPrefix("/") {
            let startedIn = ((CorpusLocation.absolute(runFolder) as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            places.append(((startedIn as NSString).appendingPathComponent(typed), "relative to the folder the run was started in"))
        }
        var seen = Set<String>()
        places = places.filter { seen.insert(CorpusLocation.absolute($0.path)).inserted }
        let existing = places.filter { FileManager.default.fileExists(atPath: $0.path) }
        guard let first = existing.first else {
            throw UsageError("cannot resume \(runArgument): its corpus \(typed) is gone (looked at " + places.map(\.path).joined(separator: ", ")
                             + "); give the text again: charlstm train FILE... --resume \(runArgument)")
        }
        guard let recorded else { return Found(path: first.path, note: "corpus \(typed): reading \(first.path) (\(first.how))") }
        for place in existing {
            if let now = try? CorpusLocation.of(place.path), now.sameText(as: recorded) {
                return Found(path: place.path, note: "corpus \(typed): reading \(place.path) (\(place.how); \(now.summary), as when the run started)")
            }
        }
        let now = (try? CorpusLocation.of(first.path))?.summary ?? "no text files"
        return Found(path: first.path, note: "corpus \(typed): reading \(first.path) (\(first.how)); warning: it now holds \(now), the run started on \(recorded.summary)")
    }
}
