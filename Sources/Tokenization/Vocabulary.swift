/// The characters a model knows: Unicode scalars, sorted by code point so that the same text
/// always gives the same indices. Index `i` is row `i` of the embedding and of the decoder.
/// A vocabulary extended for fine-tuning keeps its old characters where they were and has the
/// new ones after them (in code-point order), so the old rows keep their meaning.
public struct Vocabulary: Equatable, Sendable {
    /// The characters in index order.
    public let scalars: [Unicode.Scalar]
    private let indexOf: [UInt32: Int32]

    /// Builds a vocabulary of exactly the distinct scalars in `scalars`.
    public init<S: Sequence>(building scalars: S) where S.Element == Unicode.Scalar {
        self.init(ordered: Set(scalars.map(\.value)).sorted())
    }

    /// Restores a vocabulary from its code points in index order, as stored in a checkpoint.
    /// Nil when a value repeats or is not a scalar.
    public init?(codePoints: [UInt32]) {
        guard Set(codePoints).count == codePoints.count,
              codePoints.allSatisfy({ Unicode.Scalar($0) != nil }) else { return nil }
        self.init(ordered: codePoints)
    }

    /// This vocabulary with `newScalars` (those it lacks) appended in code-point order.
    public func extended<S: Sequence>(with newScalars: S) -> Vocabulary where S.Element == Unicode.Scalar {
        let added = Set(newScalars.map(\.value)).filter { indexOf[$0] == nil }.sorted()
        return Vocabulary(ordered: codePoints + added)
    }

    /// `codePoints` must be free of repeats; the indices follow its order.
    private init(ordered codePoints: [UInt32]) {
        scalars = codePoints.map { Unicode.Scalar($0)! }
        var index = [UInt32: Int32](minimumCapacity: codePoints.count)
        for (i, c) in codePoints.enumerated() { index[c] = Int32(i) }
        indexOf = index
    }

    /// The code points in index order: the form a checkpoint stores.
    public var codePoints: [UInt32] { scalars.map(\.value) }

    public var count: Int { scalars.count }

    /// The index of `scalar`, or nil when the vocabulary does not hold it.
    @inlinable
    public func index(of scalar: Unicode.Scalar) -> Int32? { index(ofCodePoint: scalar.value) }

    public func index(ofCodePoint codePoint: UInt32) -> Int32? { indexOf[codePoint] }

    /// Encodes text; throws `unknownCharacters` naming every character it does not know.
    public func encode<S: Sequence>(_ text: S) throws -> [Int32] where S.Element == Unicode.Scalar {
        var tokens = [Int32]()
        tokens.reserveCapacity(text.underestimatedCount)
        var unknown = [Unicode.Scalar: Int]()
        for s in text {
            if let i = indexOf[s.value] { tokens.append(i) } else { unknown[s, default: 0] += 1 }
        }
        guard unknown.isEmpty else { throw VocabularyError.unknownCharacters(unknown) }
        return tokens
    }

    /// The scalars of `text` this vocabulary does not hold, with how often each occurs.
    public func unknownCharacters<S: Sequence>(in text: S) -> [Unicode.Scalar: Int]
    where S.Element == Unicode.Scalar {
        var unknown = [Unicode.Scalar: Int]()
        for s in text where indexOf[s.value] == nil { unknown[s, default: 0] += 1 }
        return unknown
    }

    /// Decodes token indices back to text.
    public func decode<S: Sequence>(_ tokens: S) -> String where S.Element == Int32 {
        var view = String.UnicodeScalarView()
        for t in tokens { view.append(scalars[Int(t)]) }
        return String(view)
    }
}

public enum VocabularyError: Error, CustomStringConvertible, Equatable {
    case unknownCharacters([Unicode.Scalar: Int])

    public var description: String {
        switch self {
        case .unknownCharacters(let counts):
            return "the text holds characters the model does not know: "
                + describeCharacterCounts(counts)
        }
    }
}

/// "'é' (U+00E9) ×3, '\t' (U+0009) ×1" — most frequent first, at most `limit` shown.
public func describeCharacterCounts(_ counts: [Unicode.Scalar: Int], limit: Int = 10) -> String {
    let ordered = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.value < $1.key.value }
    var parts = ordered.prefix(limit).map { "\(visibleCharacter($0.key)) ×\($0.value)" }
    if ordered.count > limit { parts.append("and \(ordered.count - limit) more") }
    return parts.joined(separator: ", ")
}

/// A character as a user can read it in a message: `'a' (U+0061)`, `'\n' (U+000A)`.
public func visibleCharacter(_ s: Unicode.Scalar) -> String {
    let hex = String(s.value, radix: 16, uppercase: true)
    let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    let shown: String
    switch s {
    case "\n": shown = "\\n"
    case "\t": shown = "\\t"
    case "\r": shown = "\\r"
    case " ": shown = " "
    default:
        shown = invisibleCategories.contains(s.properties.generalCategory) ? "" : String(s)
    }
    return shown.isEmpty ? code : "'\(shown)' (\(code))"
}

/// Characters shown by code point alone: they are invisible, break the message's line, or
/// combine with the quote mark before them.
private let invisibleCategories: Set<Unicode.GeneralCategory> = [
    .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .nonspacingMark,
    .enclosingMark, .spacingMark, .privateUse, .surrogate, .unassigned,
]
