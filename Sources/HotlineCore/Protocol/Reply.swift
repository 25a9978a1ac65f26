/// One reply line: `OK <json-object>` or `ERR <code> <text>`.
public enum Reply: Sendable, Equatable {
    case ok(JSONObject)
    /// `OK ` and an object already rendered as one line of JSON (a stored or prepared receipt).
    case okText(String)
    case err(HLPError)

    public static func error(_ code: ErrorCode, _ text: String) -> Reply { .err(HLPError(code, text)) }

    /// The line without its LF. Error text is kept to one line of printable characters: every
    /// control (C0, DEL, C1) and bidirectional override becomes a space.
    public var line: String {
        switch self {
        case let .ok(object):
            return "OK " + object.jsonText
        case let .okText(text):
            return "OK " + text
        case let .err(e):
            var text = ""
            for scalar in e.text.unicodeScalars {
                text.unicodeScalars.append(SafeText.isUnsafe(scalar) ? " " : scalar)
            }
            return "ERR \(e.code.rawValue) \(text)"
        }
    }

    public static func greeting(serverName: String) -> String { "HLP/1 \(serverName) ready" }
}
