/// Simple properties of a text that a character model's units are known to track (Karpathy,
/// Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks", 2015): each has a
/// value after every character, to correlate with what a unit shows after reading it.
public enum TextProperty: String, CaseIterable, Sendable {
    /// 1 from an opening double quote (" or “) up to, not including, the character after its
    /// closing one; else 0. (Single quotes are left out: in prose they are mostly apostrophes.)
    case insideQuotes = "inside_quotes"
    /// 1 while more brackets or parentheses — ( [ { — are open than closed; else 0.
    case insideBrackets = "inside_brackets"
    /// Characters read since the last line break (0 right after one).
    case positionInLine = "position_in_line"
    /// 1 on a letter that follows a non-letter (or starts the text); else 0.
    case startOfWord = "start_of_word"

    /// How a page names it.
    public var label: String {
        switch self {
        case .insideQuotes: return "inside quotes"
        case .insideBrackets: return "inside brackets or parentheses"
        case .positionInLine: return "position in the line"
        case .startOfWord: return "start of a word"
        }
    }

    /// The property's value after each character of `text`.
    public func values(of text: [Unicode.Scalar]) -> [Float] {
        var values = [Float]()
        values.reserveCapacity(text.count)
        switch self {
        case .insideQuotes:
            var inside = false
            for s in text {
                switch s {
                case "\"": inside.toggle()
                case "“": inside = true
                case "”": inside = false
                default: break
                }
                values.append(inside ? 1 : 0)
            }
        case .insideBrackets:
            var depth = 0
            for s in text {
                switch s {
                case "(", "[", "{": depth += 1
                case ")", "]", "}": depth = max(0, depth - 1)
                default: break
                }
                values.append(depth > 0 ? 1 : 0)
            }
        case .positionInLine:
            var column = 0
            for s in text {
                column = s == "\n" ? 0 : column + 1
                values.append(Float(column))
            }
        case .startOfWord:
            var previousIsLetter = false
            for s in text {
                let isLetter = s.properties.isAlphabetic
                values.append(isLetter && !previousIsLetter ? 1 : 0)
                previousIsLetter = isLetter
            }
        }
        return values
    }
}
