/// Joins an option and a negative number given as the next argument (`--hidden -3`) into one
/// argument (`--hidden=-3`). swift-argument-parser reads a lone `-3` as a short option, so the
/// option would be reported as missing its value; joined, the value reaches the option's own
/// check and the user gets the same message as for `--hidden=-3`.
enum NegativeNumberArguments {
    static func joined(_ arguments: [String]) -> [String] {
        var result = [String]()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            // After `--` every argument is positional, as the parser reads it.
            if argument == "--" { return result + arguments[index...] }
            if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
               isNegativeNumber(arguments[index + 1]) {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
            } else {
                result.append(argument)
                index += 1
            }
        }
        return result
    }

    /// `-3`, `-0.5`, `-.5`, `-1e-3`, `-inf`, `-nan`: what Swift's numeric parsers accept after a minus.
    static func isNegativeNumber(_ argument: String) -> Bool {
        guard argument.hasPrefix("-"), argument.count > 1 else { return false }
        let magnitude = argument.dropFirst()
        return Double(String(magnitude)) != nil && !magnitude.hasPrefix("-") && !magnitude.hasPrefix("+")
    }
}
