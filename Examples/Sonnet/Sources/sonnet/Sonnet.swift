import CharLSTM
import Foundation

/// Writes a sonnet-shaped text with a CharLSTM model: fourteen lines of verse, three quatrains
/// and a couplet, picked from the text as the model streams it, then the model's own score of
/// the poem.
///
///     sonnet [CHECKPOINT] [SEED]
///
/// CHECKPOINT is a checkpoint file or a run folder (default: checkpoints/bundled).
@main
struct Sonnet {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        let path = arguments.first ?? "checkpoints/bundled"
        let seed = arguments.dropFirst().first.flatMap { UInt64($0) } ?? 14
        do {
            try await write(with: TextModel(loading: path), seed: seed)
        } catch {
            FileHandle.standardError.write(Data("sonnet: \(error)\n".utf8))
            exit(error.isBadInput ? 2 : 1)
        }
    }

    static func write(with model: TextModel, seed: UInt64) async throws(CharLSTMError) {
        print("\(model.info.file): \(model.info.summary) · CharLSTM \(CharLSTM.version)\n")
        let settings = GenerationSettings(length: 50_000, temperature: 0.6, seed: seed)
        var verses = [String](), line = ""
        // The model writes on; each line it finishes is kept when it reads as verse, until
        // there are fourteen (leaving the loop ends the stream).
        for await piece in try model.stream(prompt: "SONNET\n\n", settings: settings) {
            guard piece == "\n" else { line += piece; continue }
            if isVerse(line) {
                print((verses.count >= 12 ? "  " : "") + line)
                verses.append(line)
                if verses.count == 14 { break }
                if verses.count % 4 == 0 { print() }
            }
            line = ""
        }
        let poem = verses.joined(separator: "\n") + "\n"
        let score = try model.score(poem, streams: 1)
        print(String(format: "\n%d lines, %d characters, %.3f bits/char under the model",
                     verses.count, score.characters, score.bitsPerCharacter))
    }

    /// A line of verse: a capital, then lower-case text of a verse line's length; not a
    /// speaker's name, a stage direction or a heading.
    static func isVerse(_ line: String) -> Bool {
        let characters = Array(line)
        guard (28...60).contains(characters.count), characters[0].isUppercase, characters[1].isLowercase || characters[1] == " "
        else { return false }
        return !line.contains(where: { "[]:_".contains($0) })
    }
}
