import Sampling

/// What a REPL session carries between lines, apart from the model itself.
public struct ReplState: Equatable, Sendable {
    public var settings: SamplingSettings
    /// Characters written per turn.
    public var length: Int
    /// The seed of the current random stream.
    public var seed: UInt64
    /// Strings that end a turn's text right after they appear.
    public var stops: StopStrings

    public init(settings: SamplingSettings, length: Int, seed: UInt64, stops: StopStrings = StopStrings()) {
        self.settings = settings
        self.length = length
        self.seed = seed
        self.stops = stops
    }

    /// "temperature 0.8 · top-k off · top-p 0.9 · length 400 · seed 7", then the stop strings if any.
    public var summary: String { summaryParts.joined(separator: " · ") }

    /// The settings one by one, as the summary and the banner show them.
    public var summaryParts: [String] {
        let topK = settings.topK.map(String.init) ?? "off"
        let topP = settings.topP.map { "\($0)" } ?? "off"
        let parts = ["temperature \(settings.temperature)", "top-k \(topK)", "top-p \(topP)", "length \(length)", "seed \(seed)"]
        return stops.isEmpty ? parts : parts + [stopList]
    }

    /// "stop at "\n\n" or "END"", or "no stop strings".
    public var stopList: String {
        stops.isEmpty ? "no stop strings"
            : "stop at " + stops.strings.map { "\"" + StopStrings.escape($0) + "\"" }.joined(separator: " or ")
    }
}

/// The character `:pick` names: a rank in the last `:next` list, or a character.
public enum PickedCharacter: Equatable, Sendable {
    case rank(Int)
    case character(Unicode.Scalar)
}

/// What the session should do with a line, once `ReplCommands.command` has read it.
public enum ReplOutcome: Equatable, Sendable {
    /// Read this text into the model, then write a continuation.
    case generate(String)
    /// Write a continuation from where the last one stopped (an empty line).
    case continueText
    /// A setting changed (already applied to the state) or a question answered: print this.
    case show(String)
    /// The seed changed (already in the state): restart the random stream, then print this.
    case reseed(String)
    /// Forget the text read so far.
    case reset
    /// Show the N most likely next characters.
    case next(Int)
    /// Read this character into the model, then show the next choices.
    case pick(PickedCharacter)
    case load(String)
    case save(String)
    case info
    case quit
    /// A bad command or value: print this; nothing changed.
    case error(String)
}

/// The REPL's commands: parsing a line and applying settings, with no terminal and no model,
/// so every command and every error is testable on its own.
public enum ReplCommands {
    /// One command: its name and arguments as typed, and what it does.
    public struct Entry: Sendable {
        public let usage: String
        public let summary: String
    }

    /// Every command, in the order `:help` lists them.
    public static let entries: [Entry] = [
        Entry(usage: ":temp X", summary: "sampling temperature, ≥ 0 (0 = always the most likely character)"),
        Entry(usage: ":top-k N", summary: "draw from the N most likely characters only (:top-k off to drop)"),
        Entry(usage: ":top-p P", summary: "draw from the most likely characters whose probability reaches P, in (0, 1] (:top-p off)"),
        Entry(usage: ":len N", summary: "characters written per turn"),
        Entry(usage: ":seed [N]", summary: "restart the random stream from seed N; alone, show the seed"),
        Entry(usage: ":stop [S|off]", summary: "end answers after S (\"S\" keeps spaces; \\n \\t \\\\ escapes; repeats add); alone, list; off, none"),
        Entry(usage: ":next [N]", summary: "the N (default 5) likeliest next characters, with the model's own probabilities (temperature 1)"),
        Entry(usage: ":pick C", summary: "read C (␣ ⏎ ⇥: space, line break, tab) and show the next choices; 2 is rank 2, '2' the digit"),
        Entry(usage: ":reset", summary: "forget the text so far (a fresh state)"),
        Entry(usage: ":load CHECKPOINT", summary: "switch to another checkpoint file or run folder"),
        Entry(usage: ":save FILE", summary: "write the last output to FILE"),
        Entry(usage: ":info", summary: "what the model is"),
        Entry(usage: ":settings", summary: "the current settings"),
        Entry(usage: ":help", summary: "this list"),
        Entry(usage: ":quit", summary: "leave (Ctrl-D too)"),
    ]

    /// The command names, for tab completion: ":temp", ":top-k", …
    public static let names: [String] = entries.map { String($0.usage.prefix { $0 != " " }) }

    /// Names starting with `prefix`.
    public static func completions(of prefix: String) -> [String] { names.filter { $0.hasPrefix(prefix) } }

    public static let helpText: String = {
        let width = entries.map(\.usage.count).max()!
        let rows = entries.map { "  " + $0.usage.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary }
        return (["Type text and press Enter: the model reads it and writes on. An empty line writes more.",
                 "Ctrl-C stops the output; a line starting with '::' is text starting with ':'."] + rows)
            .joined(separator: "\n")
    }()

    /// Reads one line: text to continue, or a command applied to `state`.
    public static func command(line: String, state: inout ReplState) -> ReplOutcome {
        if line.isEmpty { return .continueText }
        if line.hasPrefix("::") { return .generate(String(line.dropFirst())) }
        guard line.hasPrefix(":") else { return .generate(line) }
        let words = line.dropFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard let name = words.first.map(String.init) else { return .error("an empty command: see :help") }
        let rest = line.dropFirst(1 + name.count).trimmingSpaces()
        let arguments = words.dropFirst().map(String.init)

        let single = arguments.count == 1 ? arguments[0] : nil
        switch name {
        case "temp", "temperature":
            guard let text = single else { return usage(":temp X") }
            guard let t = Float(text) else { return .error(":temp needs a number ≥ 0 (0 = greedy), got \(text)") }
            if let problem = SamplingSettings.temperatureProblem(t) { return .error(":temp " + problem) }
            state.settings.temperature = t
            return .show("temperature \(t)")
        case "top-k":
            guard let text = single else { return usage(":top-k N") }
            if text == "off" { state.settings.topK = nil; return .show("top-k off") }
            guard let k = Int(text) else { return .error(":top-k needs an integer ≥ 1 or off, got \(text)") }
            if let problem = SamplingSettings.topKProblem(k) { return .error(":top-k " + problem + " (or off)") }
            state.settings.topK = k
            return .show("top-k \(k)")
        case "top-p":
            guard let text = single else { return usage(":top-p P") }
            if text == "off" { state.settings.topP = nil; return .show("top-p off") }
            guard let p = Float(text) else { return .error(":top-p needs a number in (0, 1] or off, got \(text)") }
            if let problem = SamplingSettings.topPProblem(p) { return .error(":top-p " + problem + " (or off)") }
            state.settings.topP = p
            return .show("top-p \(p)")
        case "len", "length":
            guard let text = single else { return usage(":len N") }
            guard let n = Int(text), n >= 0, n <= maximumLength else {
                return .error(":len must be an integer from 0 to \(maximumLength), got \(text)")
            }
            state.length = n
            return .show("length \(n)")
        case "seed":
            if arguments.isEmpty { return .show("seed \(state.seed)") }
            guard let text = single else { return usage(":seed [N]") }
            guard let seed = UInt64(text) else {
                return .error(":seed must be an integer from 0 to \(UInt64.max), got \(text)")
            }
            state.seed = seed
            return .reseed("seed \(seed)")
        case "stop":
            if rest.isEmpty { return .show(state.stopList) }
            if rest == "off" { state.stops = StopStrings(); return .show(state.stopList) }
            // In double quotes, as :stop lists them, a stop string keeps the spaces at its ends.
            let typed = rest.count >= 2 && rest.hasPrefix("\"") && rest.hasSuffix("\"") ? String(rest.dropFirst().dropLast()) : String(rest)
            switch StopStrings.unescape(typed) {
            case .success(let string): state.stops.add(string); return .show(state.stopList)
            case .failure(let problem): return .error(":stop " + problem.description)
            }
        case "next":
            if arguments.isEmpty { return .next(defaultChoices) }
            guard let text = single else { return usage(":next [N]") }
            guard let n = Int(text), n >= 1, n <= maximumChoices else {
                return .error(":next must be an integer from 1 to \(maximumChoices), got \(text)")
            }
            return .next(n)
        case "pick":
            guard let picked = pickedCharacter(rest) else {
                return .error(":pick takes one character (␣ ⏎ ⇥ for space, line break, tab), a rank from the last :next list, or a quoted character such as '7'; got \(rest.isEmpty ? "nothing" : rest)")
            }
            return .pick(picked)
        case "reset": return arguments.isEmpty ? .reset : usage(":reset")
        case "load": return rest.isEmpty ? usage(":load CHECKPOINT") : .load(rest)
        case "save": return rest.isEmpty ? usage(":save FILE") : .save(rest)
        case "info": return arguments.isEmpty ? .info : usage(":info")
        case "settings": return arguments.isEmpty ? .show(state.summary) : usage(":settings")
        case "help", "h", "?": return .show(helpText)
        case "quit", "q", "exit": return arguments.isEmpty ? .quit : usage(":quit")
        default: return .error("unknown command :\(name) (see :help)")
        }
    }

    /// The longest `:len`: ten million characters, far beyond a screenful but bounded.
    public static let maximumLength = 10_000_000

    /// How many choices `:next` shows by default, and at most.
    public static let defaultChoices = 5
    public static let maximumChoices = 1000

    /// `:pick`'s argument: digits are a rank; 'C' (quoted) is the character C itself, digits and
    /// symbols included; a single character is itself, except that ␣ ⏎ ⇥ stand for space, line
    /// break and tab, as `:next` shows them.
    static func pickedCharacter(_ argument: String) -> PickedCharacter? {
        let scalars = Array(argument.unicodeScalars)
        if !scalars.isEmpty, scalars.allSatisfy({ ("0"..."9").contains($0) }) {
            return Int(argument).map { .rank($0) }  // nil (refused) beyond Int.max
        }
        if scalars.count == 3, scalars[0] == "'", scalars[2] == "'" { return .character(scalars[1]) }
        guard scalars.count == 1 else { return nil }
        return .character(VisibleCharacters.read(scalars[0]))
    }

    private static func usage(_ form: String) -> ReplOutcome { .error("usage: \(form)") }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
