/// Turns one framed line (bytes without the LF and without a trailing CR) into a `Command`.
///
/// The parser is pure and total: every input yields a command, `nil` for a blank line, or an
/// `HLPError` carrying the reply's code and text.
public enum CommandParser {
    /// The outcome of looking at a line's verb, before arguments are parsed. Lets the session
    /// answer `unknown-command` and `auth-required` before `syntax`.
    public enum Head: Equatable, Sendable {
        case blank
        case verb(Verb, arguments: ArraySlice<UInt8>)
        case failure(HLPError)
    }

    public static func head(_ line: some Collection<UInt8>) -> Head {
        let bytes = Array(line)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return .failure(HLPError(.syntax, "line is not valid UTF-8"))
        }
        var start = 0
        while start < bytes.count, isSpace(bytes[start]) { start += 1 }
        if start == bytes.count { return .blank }
        var end = start
        while end < bytes.count, !isSpace(bytes[end]) { end += 1 }
        let word = bytes[start..<end]
        guard word.count <= 16,
            let verb = Verb(rawValue: String(decoding: word.map(asciiUpper), as: UTF8.self))
        else {
            return .failure(HLPError(.unknownCommand, "unknown command \"\(printable(word))\""))
        }
        return .verb(verb, arguments: bytes[end...])
    }

    /// Parses the arguments of a verb found by `head`.
    public static func command(_ verb: Verb, arguments: ArraySlice<UInt8>) throws(HLPError) -> Command {
        let rest = trim(arguments)
        switch verb {
        case .ping:
            guard rest.isEmpty else { throw HLPError(.syntax, "PING takes no arguments") }
            return .ping
        case .quit:
            guard rest.isEmpty else { throw HLPError(.syntax, "QUIT takes no arguments") }
            return .quit
        case .auth:
            let words = split(rest)
            guard words.count == 2 else { throw HLPError(.syntax, "usage: AUTH <gateway-id> <token>") }
            return .auth(gateway: string(words[0]), token: string(words[1]))
        case .status:
            let words = split(rest)
            guard words.count == 1 else { throw HLPError(.syntax, "usage: STATUS <incident-id>") }
            return .status(incident: string(words[0]))
        case .report:
            guard !rest.isEmpty else { throw HLPError(.syntax, "usage: REPORT <json-object>") }
            return .report(try object(rest, verb: "REPORT"))
        case .ack, .attend, .close, .retract:
            let (id, json) = splitFirst(rest)
            guard !id.isEmpty else { throw HLPError(.syntax, "usage: \(verb.rawValue) <incident-id> <json-object>") }
            let incident = string(id)
            let body: JSONObject? = json.isEmpty ? nil : try object(json, verb: verb.rawValue)
            switch verb {
            case .ack: return .ack(incident: incident, body)
            case .attend: return .attend(incident: incident, body)
            case .close:
                guard let body else { throw HLPError(.syntax, "usage: CLOSE <incident-id> <json-object>") }
                return .close(incident: incident, body)
            default:
                guard let body else { throw HLPError(.syntax, "usage: RETRACT <incident-id> <json-object>") }
                return .retract(incident: incident, body)
            }
        }
    }

    /// `head` and `command` together, for callers that do not need to tell them apart.
    public static func parse(_ line: some Collection<UInt8>) throws(HLPError) -> Command? {
        switch head(line) {
        case .blank: return nil
        case let .failure(e): throw e
        case let .verb(v, args): return try command(v, arguments: args)
        }
    }

    static func object(_ bytes: ArraySlice<UInt8>, verb: String) throws(HLPError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            switch error {
            case let .syntax(why):
                throw HLPError(.syntax, "bad JSON: \(why)")
            case .tooDeep:
                throw HLPError(.syntax, "bad JSON: nested deeper than \(JSONParser.maximumDepth) levels")
            case let .duplicateKey(key):
                throw HLPError.invalid(field: printable(Array(key.utf8)), "appears more than once")
            }
        }
        guard case let .object(o) = value else { throw HLPError(.syntax, "\(verb) takes a JSON object") }
        return o
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }

    static func asciiUpper(_ b: UInt8) -> UInt8 { (0x61...0x7A).contains(b) ? b - 0x20 : b }

    static func trim(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = s
        while let f = s.first, isSpace(f) { s = s.dropFirst() }
        while let l = s.last, isSpace(l) { s = s.dropLast() }
        return s
    }

    static func split(_ s: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        s.split(whereSeparator: isSpace)
    }

    static func splitFirst(_ s: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        guard let i = s.firstIndex(where: isSpace) else { return (s, s[s.endIndex...]) }
        return (s[s.startIndex..<i], trim(s[i...]))
    }

    static func string(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }

    /// A short, printable rendering of client bytes for error texts.
    public static func printable(_ s: some Collection<UInt8>) -> String {
        var out = ""
        for scalar in String(decoding: s.prefix(40), as: UTF8.self).unicodeScalars {
            out.unicodeScalars.append(SafeText.isUnsafe(scalar) || scalar == "\"" ? "?" : scalar)
        }
        return s.count > 40 ? out + "…" : out
    }
}
