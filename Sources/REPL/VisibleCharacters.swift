import Tokenization

/// How the REPL shows characters that are invisible on a screen, and reads them back: ␣ is a
/// space, ⏎ a line break, ⇥ a tab; other invisible characters show as their code point.
public enum VisibleCharacters {
    static let symbols: [Unicode.Scalar: Unicode.Scalar] = [" ": "␣", "\n": "⏎", "\t": "⇥"]
    static let meanings: [Unicode.Scalar: Unicode.Scalar] = Dictionary(uniqueKeysWithValues: symbols.map { ($1, $0) })

    /// The character as `:next` lists it.
    public static func show(_ s: Unicode.Scalar) -> String {
        if let symbol = symbols[s] { return String(symbol) }
        let visible = visibleCharacter(s)  // 'x' (U+0078), or the code point alone when invisible
        return visible.hasPrefix("'") ? String(s) : visible
    }

    /// Text with line breaks and tabs as their symbols (spaces kept), for one line of context.
    public static func showInline(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars { out.append(s == " " ? s : symbols[s] ?? s) }
        return String(out)
    }

    /// The character a typed one stands for: ␣ ⏎ ⇥ for their meanings, anything else itself.
    public static func read(_ s: Unicode.Scalar) -> Unicode.Scalar { meanings[s] ?? s }
}
