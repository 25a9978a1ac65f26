/// A request on the operator control socket, checked. Pure: the decoded `ControlRequest` in,
/// a typed request or an error out, so that no operator input reaches the daemon unchecked
/// (and the fuzzer can drive it).
public enum OperatorRequest: Sendable, Equatable {
    case status
    case incidents(openOnly: Bool, overdue: Bool, commune: String?, district: String?, limit: Int)
    /// `personal`: caller, summary, close note and retraction reason too (an audited read).
    case show(incident: String, personal: Bool)
    /// Reads of personal data and operator actions, newest first.
    case audit(incident: String?, actor: String?, since: Timestamp?, limit: Int)
    /// REASSIGN, ACK, ATTEND or CLOSE, recorded with the operator's name.
    case act(incident: String, CaseAction)
    case stats(year: Int)
    case reload
    /// A consistent online copy of the store, written by the daemon to this absolute path.
    case backup(path: String)

    /// The years `stats` accepts.
    public static let years = 2000...9999

    /// The request checked: every value in range, every responder and code known.
    public init(_ request: ControlRequest, directory: Directory, now: Timestamp) throws(HLPError) {
        func limit() -> Int { max(1, min(request.limit ?? 100, 10_000)) }
        switch request.cmd {
        case "status":
            self = .status
        case "incidents":
            self = .incidents(
                openOnly: request.open ?? false, overdue: request.overdue ?? false, commune: request.commune,
                district: request.district, limit: limit())
        case "show":
            self = .show(incident: try Self.incident(request), personal: request.personal ?? false)
        case "audit":
            var since: Timestamp?
            if let text = request.since {
                guard let t = Timestamp(rfc3339: text) else {
                    throw HLPError(.invalid, "\"since\" must be an RFC 3339 time such as 2026-11-29T00:00:00+07:00")
                }
                since = t
            }
            self = .audit(incident: request.incident, actor: request.operator, since: since, limit: limit())
        case "reassign":
            let id = try Self.incident(request)
            guard let responder = request.responder else { throw HLPError(.syntax, "missing \"responder\"") }
            self = .act(incident: id, .reassign(responder: responder, at: now))
        case "ack", "attend", "close":
            let id = try Self.incident(request)
            // The case action's fields, checked by the validators a gateway's ACK/ATTEND/CLOSE use.
            var body = JSONObject()
            if let v = request.responder { body["responder"] = .string(v) }
            if let v = request.at { body["at"] = .string(v) }
            if let v = request.offenderMeasures { body["offender_measures"] = .array(v.map(JSONValue.string)) }
            if let v = request.victimSupport { body["victim_support"] = .array(v.map(JSONValue.string)) }
            if let v = request.note { body["note"] = .string(v) }
            if request.cmd == "close" {
                self = .act(incident: id, try CaseActionValidator.close(body, now: now))
            } else {
                body["offender_measures"] = nil
                body["victim_support"] = nil
                body["note"] = nil
                self = .act(
                    incident: id,
                    try CaseActionValidator.ack(body, directory: directory, now: now, attend: request.cmd == "attend"))
            }
        case "stats":
            guard let year = request.year, Self.years.contains(year) else {
                throw HLPError(.invalid, "\"year\" must be a year from \(Self.years.lowerBound) to \(Self.years.upperBound), such as 2021")
            }
            self = .stats(year: year)
        case "reload":
            self = .reload
        case "backup":
            guard let path = request.path, path.hasPrefix("/"), !path.utf8.contains(0) else {
                throw HLPError(.invalid, "\"path\" must be an absolute file path")
            }
            self = .backup(path: path)
        default:
            throw HLPError(.unknownCommand, "unknown command \"\(CommandParser.printable(Array(request.cmd.utf8)))\"")
        }
    }

    static func incident(_ request: ControlRequest) throws(HLPError) -> String {
        guard let id = request.incident else { throw HLPError(.syntax, "missing \"incident\"") }
        return id
    }
}
