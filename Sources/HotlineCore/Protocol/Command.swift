/// One request of HLP/1, parsed from one framed line.
public enum Command: Sendable, Equatable {
    /// `AUTH <gateway-id> <token>`
    case auth(gateway: String, token: String)
    /// `REPORT <json-object>`; the object is validated later, against the directory.
    case report(JSONObject)
    /// `ACK <incident-id> [<json>]`
    case ack(incident: String, JSONObject?)
    /// `ATTEND <incident-id> [<json>]`
    case attend(incident: String, JSONObject?)
    /// `CLOSE <incident-id> <json>`
    case close(incident: String, JSONObject)
    /// `RETRACT <incident-id> <json>`
    case retract(incident: String, JSONObject)
    /// `STATUS <incident-id>`
    case status(incident: String)
    /// `PING`
    case ping
    /// `QUIT`
    case quit
}

/// The verbs of HLP/1. Matching is case-insensitive.
public enum Verb: String, Sendable, CaseIterable {
    case auth = "AUTH", report = "REPORT", ack = "ACK", attend = "ATTEND", close = "CLOSE"
    case retract = "RETRACT", status = "STATUS", ping = "PING", quit = "QUIT"

    /// Verbs allowed before a successful AUTH.
    public var allowedBeforeAuth: Bool { self == .auth || self == .ping || self == .quit }
}
