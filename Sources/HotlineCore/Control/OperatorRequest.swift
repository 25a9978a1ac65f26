/// A request on the operator control socket, checked. Pure: the JSON object in, a typed
/// request or an error out, so that no operator input reaches the daemon unchecked (and the
/// fuzzer can drive it).
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

    public static func parse(_ request: JSONObject, directory: Directory, now: Timestamp) throws(HLPError) -> OperatorRequest {
        guard let command = request["cmd"]?.stringValue else { throw HLPError(.syntax, "missing \"cmd\"") }
        switch command {
        case "status":
            return .status
        case "incidents":
            let limit = request["limit"]?.integerValue ?? 100
            return .incidents(
                openOnly: request["open"]?.boolValue ?? false, overdue: request["overdue"]?.boolValue ?? false,
                commune: request["commune"]?.stringValue, district: request["district"]?.stringValue,
                limit: max(1, min(limit, 10_000)))
        case "show":
            return .show(incident: try incident(request), personal: request["personal"]?.boolValue ?? false)
        case "audit":
            var since: Timestamp?
            if let value = request["since"] {
                guard let text = value.stringValue, let t = Timestamp(rfc3339: text) else {
                    throw HLPError(.invalid, "\"since\" must be an RFC 3339 time such as 2026-11-29T00:00:00+07:00")
                }
                since = t
            }
            return .audit(
                incident: request["incident"]?.stringValue, actor: request["operator"]?.stringValue, since: since,
                limit: max(1, min(request["limit"]?.integerValue ?? 100, 10_000)))
        case "reassign", "ack", "attend", "close":
            let id = try incident(request)
            var body = JSONObject()
            for (k, v) in request.members where k != "cmd" && k != "incident" { body[k] = v }
            switch command {
            case "reassign":
                guard let responder = request["responder"]?.stringValue else {
                    throw HLPError(.syntax, "missing \"responder\"")
                }
                return .act(incident: id, .reassign(responder: responder, at: now))
            case "close":
                return .act(incident: id, try CaseActionValidator.close(body, now: now))
            default:
                return .act(
                    incident: id,
                    try CaseActionValidator.ack(body, directory: directory, now: now, attend: command == "attend"))
            }
        case "stats":
            guard let year = request["year"]?.integerValue, years.contains(year) else {
                throw HLPError(.invalid, "\"year\" must be a year from \(years.lowerBound) to \(years.upperBound), such as 2021")
            }
            return .stats(year: year)
        case "reload":
            return .reload
        case "backup":
            guard let path = request["path"]?.stringValue, path.hasPrefix("/"), !path.utf8.contains(0) else {
                throw HLPError(.invalid, "\"path\" must be an absolute file path")
            }
            return .backup(path: path)
        default:
            throw HLPError(.unknownCommand, "unknown command \"\(CommandParser.printable(Array(command.utf8)))\"")
        }
    }

    static func incident(_ request: JSONObject) throws(HLPError) -> String {
        guard let id = request["incident"]?.stringValue else { throw HLPError(.syntax, "missing \"incident\"") }
        return id
    }
}
