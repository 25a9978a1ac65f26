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

/// A reply line as a client reads it: the one reader of `Reply.line` for the gateway kit, the
/// harness, the benchmarks and the tests. An `ERR` code stays text (a newer server may send a
/// code this client does not know); a line that is neither gives `internal`.
public enum HLPReply: Sendable, Equatable {
    case ok(JSONObject)
    case err(code: String, text: String)

    public init(line: String) {
        if Self.isOK(line), case let .object(o)? = try? JSONParser.parse(Array(line.utf8.dropFirst(3))) {
            self = .ok(o)
        } else if line.hasPrefix("ERR ") {
            let parts = line.dropFirst(4).split(separator: " ", maxSplits: 1)
            self = .err(code: parts.first.map(String.init) ?? "internal", text: parts.count > 1 ? String(parts[1]) : "")
        } else {
            self = .err(code: "internal", text: "unreadable reply: \(line.prefix(80))")
        }
    }

    /// Whether `line` is an `OK` reply, without parsing its object (for load generators).
    public static func isOK(_ line: String) -> Bool { line.hasPrefix("OK ") }

    /// The object of an `OK` reply.
    public var object: JSONObject? {
        if case let .ok(o) = self { return o }
        return nil
    }

    /// The code of an `ERR` reply.
    public var errorCode: String? {
        if case let .err(code, _) = self { return code }
        return nil
    }
}
