/// Lays `parts` out in order on as few lines of at most `width` columns as hold them, joined by
/// `separator` within a line: for one-off status text (the REPL's banner) on a terminal of any
/// width. A part wider than a whole line is cut across lines. Columns are counted as characters,
/// which is exact for the Latin, Greek and Cyrillic text of paths and settings.
public func fittedLines(_ parts: [String], width: Int, separator: String = " · ") -> [String] {
    let width = max(width, 1)
    var lines = [String]()
    var line = ""
    for part in parts where !part.isEmpty {
        if line.isEmpty {
            line = part
        } else if line.count + separator.count + part.count <= width {
            line += separator + part
        } else {
            lines.append(line)
            line = part
        }
        while line.count > width {
            lines.append(String(line.prefix(width)))
            line = String(line.dropFirst(width))
        }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}
