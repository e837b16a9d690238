// Fuzz target: the REPL's command parser (`ReplCommands.command`), on a session: the input's
// lines (as readline hands them over, without their line breaks), each applied to the settings
// the lines before it left.
//
// Contract: every line gets an outcome, never a trap. A refused command (`.error`) changes no
// setting and says why in one line; whatever is accepted leaves settings the sampler takes (a
// temperature ≥ 0, top-k ≥ 1, top-p in (0, 1], a length within bounds), a line that is not a
// command is text to continue, and each stop string typed back as `:stop` lists it is the same.
import Foundation
import FuzzDriver
import REPL
import Sampling

let start = ReplState(settings: SamplingSettings(temperature: 0.8), length: 400, seed: 7)

fuzz { bytes in
    var state = start
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
        check(String(line), &state)
    }
}

func check(_ line: String, _ state: inout ReplState) {
    let before = state
    let outcome = ReplCommands.command(line: line, state: &state)
    switch outcome {
    case .error(let message):
        if state != before { fuzzFailure("the refused line \(line.debugDescription) changed the settings") }
        if message.isEmpty || message.contains("\n") { fuzzFailure("the refusal of \(line.debugDescription) is not one line") }
    case .generate(let text):
        if line.hasPrefix(":") && !line.hasPrefix("::") { fuzzFailure("the command \(line.debugDescription) was taken for text") }
        if text != (line.hasPrefix("::") ? String(line.dropFirst()) : line) { fuzzFailure("text \(line.debugDescription) is not read as typed") }
    case .next(let n):
        if !(1...ReplCommands.maximumChoices).contains(n) { fuzzFailure("\(line.debugDescription) asks for \(n) choices") }
    default:
        break
    }
    if let problem = SamplingSettings.temperatureProblem(state.settings.temperature) { fuzzFailure("\(line.debugDescription) set a temperature that \(problem)") }
    if let k = state.settings.topK, let problem = SamplingSettings.topKProblem(k) { fuzzFailure("\(line.debugDescription) set a top-k that \(problem)") }
    if let p = state.settings.topP, let problem = SamplingSettings.topPProblem(p) { fuzzFailure("\(line.debugDescription) set a top-p that \(problem)") }
    if !(0...ReplCommands.maximumLength).contains(state.length) { fuzzFailure("\(line.debugDescription) set length \(state.length)") }
    if state.stops.strings.contains(where: \.isEmpty) { fuzzFailure("\(line.debugDescription) added an empty stop string") }
    for stop in state.stops.strings {
        var fresh = start
        _ = ReplCommands.command(line: ":stop \"" + StopStrings.escape(stop) + "\"", state: &fresh)
        if fresh.stops.strings != [stop] { fuzzFailure("the stop string \(stop.debugDescription), typed as :stop lists it, reads back as \(fresh.stops.strings)") }
    }
    _ = state.summary
}
