/// A request on the operator control socket as it travels: one JSON object per line, encoded
/// by `hotlinectl` and decoded by the daemon from the same type. `OperatorRequest` is what the
/// daemon acts on, after `OperatorRequest(_:directory:now:)` has checked it.
public struct ControlRequest: Sendable, Equatable {
    /// status, incidents, show, audit, reassign, ack, attend, close, stats, reload or backup.
    public var cmd: String
    public var incident: String?
    /// incidents: only open ones; only overdue ones; in this commune or district; at most `limit`.
    public var open: Bool?
    public var overdue: Bool?
    public var commune: String?
    public var district: String?
    public var limit: Int?
    /// show: the survivor's details too (an audited read).
    public var personal: Bool?
    /// audit: only this operator (or gateway), only since this RFC 3339 time.
    public var `operator`: String?
    public var since: String?
    /// reassign, ack, attend: the responder; ack, attend, close: when (RFC 3339), default now.
    public var responder: String?
    public var at: String?
    /// close: the case's outcome.
    public var offenderMeasures: [String]?
    public var victimSupport: [String]?
    public var note: String?
    /// stats: the year of the annual report.
    public var year: Int?
    /// backup: the absolute path the daemon writes the copy to.
    public var path: String?

    public init(_ cmd: String) { self.cmd = cmd }

    /// The request as the JSON object the socket carries (absent fields left out).
    public var object: JSONObject {
        var o = JSONObject()
        o["at"] = at.map { .string($0) }
        o["cmd"] = .string(cmd)
        o["commune"] = commune.map { .string($0) }
        o["district"] = district.map { .string($0) }
        o["incident"] = incident.map { .string($0) }
        o["limit"] = limit.map { JSONValue($0) }
        o["note"] = note.map { .string($0) }
        o["offender_measures"] = offenderMeasures.map { .array($0.map { .string($0) }) }
        o["open"] = open.map { .bool($0) }
        o["operator"] = `operator`.map { .string($0) }
        o["overdue"] = overdue.map { .bool($0) }
        o["path"] = path.map { .string($0) }
        o["personal"] = personal.map { .bool($0) }
        o["responder"] = responder.map { .string($0) }
        o["since"] = since.map { .string($0) }
        o["victim_support"] = victimSupport.map { .array($0.map { .string($0) }) }
        o["year"] = year.map { JSONValue($0) }
        return o
    }

    /// The request read from the object received; unknown members are ignored.
    public init(object: JSONObject) throws(HLPError) {
        let f = JSONFields(object)
        cmd = try f.required("cmd", f.string)
        incident = try f.string("incident")
        open = try f.bool("open")
        overdue = try f.bool("overdue")
        commune = try f.string("commune")
        district = try f.string("district")
        limit = try f.int("limit")
        personal = try f.bool("personal")
        `operator` = try f.string("operator")
        since = try f.string("since")
        responder = try f.string("responder")
        at = try f.string("at")
        offenderMeasures = try f.strings("offender_measures")
        victimSupport = try f.strings("victim_support")
        note = try f.string("note")
        year = try f.int("year")
        path = try f.string("path")
    }

    /// The line sent on the socket (without its LF): the object with its keys in order.
    public var line: [UInt8] { Array(object.jsonText.utf8) }

    /// A request line from the socket, or why it is not a control request.
    public static func decode(_ line: [UInt8]) -> Result<ControlRequest, HLPError> {
        guard case let .object(object)? = try? JSONParser.parse(line) else {
            return .failure(HLPError(.syntax, "the request is not a JSON object"))
        }
        return Result { () throws(HLPError) in try ControlRequest(object: object) }
    }
}
