import ArgumentParser
import Foundation
import HotlineConfiguration
import HotlineControl
import HotlineCore

func printJSON(_ o: JSONObject) { print(o.jsonText) }

/// A value for human output: every control character (C0, C1, DEL) and bidirectional
/// override escaped, so that text a gateway sent (caller, summary, notes, reasons) cannot drive
/// the operator's terminal or forge a line. `--json` prints values exactly instead.
func text(_ v: JSONValue?) -> String {
    switch v {
    case let .string(s)?: SafeText.escaped(s)
    case let .number(n)?: JSONValue.number(n).jsonText
    case let .bool(b)?: b ? "yes" : "no"
    case .null?, nil: "-"
    case let v?: SafeText.escaped(v.jsonText)
    }
}

/// Writes `hotlinectl: <message>` to standard error, made safe for the terminal.
func complain(_ message: String) {
    FileHandle.standardError.write(Data("hotlinectl: \(SafeText.escaped(message))\n".utf8))
}

/// Prints the answer of an operator action.
func report(_ o: JSONObject, _ options: Options) {
    if options.json { return printJSON(o) }
    print(o.members.map { "\(SafeText.escaped($0.key)): \(text($0.value.objectValue?["id"] ?? $0.value))" }.joined(separator: ", "))
}

/// `value`, changed by `change`: for building a request in one expression.
func with<T>(_ value: T, _ change: (inout T) -> Void) -> T {
    var v = value
    change(&v)
    return v
}
