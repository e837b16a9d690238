/// Strings that end a sample right after their first occurrence (`--stop`, `:stop`).
///
/// A stop string is matched against the text the model has read and written, so it may begin
/// in text read before (the prompt, an earlier turn), but it must end at a character the model
/// wrote: the prompt alone never stops anything.
public struct StopStrings: Equatable, Sendable {
    /// The strings, in the order given, without duplicates.
    public private(set) var strings: [String] = []
    /// Each string's characters, last first, the order they are matched in.
    private var reversedScalars: [[Unicode.Scalar]] = []
    /// The length in characters of the longest string (0 when there are none).
    public private(set) var longest = 0

    public init(_ strings: [String] = []) {
        strings.forEach { add($0) }
    }

    public var isEmpty: Bool { strings.isEmpty }

    /// Adds a string (an empty one or one already there changes nothing).
    public mutating func add(_ string: String) {
        guard !string.isEmpty, !strings.contains(string) else { return }
        strings.append(string)
        reversedScalars.append(Array(string.unicodeScalars.reversed()))
        longest = max(longest, string.unicodeScalars.count)
    }

    /// Whether the text in `tail` ends with one of the strings. (Plain loops, no closures:
    /// it runs after every character written and must not allocate.)
    public func matchEnd(of tail: TextTail) -> Bool {
        for reversed in reversedScalars {
            var k = 0
            while k < reversed.count && tail.scalar(fromEnd: k) == reversed[k] { k += 1 }
            if k == reversed.count { return true }
        }
        return false
    }

    /// A stop string as typed on a command line, with `\n`, `\t` and `\\` read as a line
    /// break, a tab and a backslash; a failure when it is empty or holds another escape.
    public static func unescape(_ typed: String) -> Result<String, StopStringError> {
        var result = String.UnicodeScalarView()
        var escaping = false
        for s in typed.unicodeScalars {
            if escaping {
                switch s {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "\\": result.append("\\")
                default: return .failure(.unknownEscape(typed, s))
                }
                escaping = false
            } else if s == "\\" {
                escaping = true
            } else {
                result.append(s)
            }
        }
        if escaping { return .failure(.unknownEscape(typed, nil)) }
        if result.isEmpty { return .failure(.empty) }
        return .success(String(result))
    }

    /// A stop string written back with the escapes `unescape` reads, for listing.
    public static func escape(_ string: String) -> String {
        var out = ""
        for s in string.unicodeScalars {
            switch s {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(s)
            }
        }
        return out
    }
}

/// Why a typed stop string was refused; the description follows the option's name.
public enum StopStringError: Error, Equatable, CustomStringConvertible {
    case empty
    case unknownEscape(String, Unicode.Scalar?)

    public var description: String {
        switch self {
        case .empty:
            return "must not be empty"
        case .unknownEscape(let typed, let s):
            let escape = s.map { "\\" + String($0) } ?? "a lone \\ at the end"
            return "\(typed): \(escape) is not an escape it knows; write \\n for a line break, \\t for a tab, \\\\ for a backslash"
        }
    }
}
