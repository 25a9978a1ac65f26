import HotlineCore

/// An escalation as the queue file shows it (without `seq` and `prev`, which the queue writer
/// adds): rendered from the outbox row's numbers and its incident's fixed facts, on the queue
/// file's thread, so that the store's writer only inserts numbers.
struct OutboxRecord {
    var number: Int64
    var commune: String
    var district: String
    var severity: Severity
    var level: Int
    var reason: EscalationReason
    var due: Timestamp
    var at: Timestamp
    var assigned: JSONValue
    /// The incident's callback rule, in every record (a flag, not personal data).
    var callback: String
    /// Missed while the daemon was down.
    var catchUp: Bool
    /// The incident's village id (or nil): where the responders go. A directory code, not
    /// personal data; the notifier turns it into the village's name.
    var village: String? = nil

    /// Who is told: the responder (for an overdue acknowledgement or attendance), then whoever
    /// the ladder names at this level.
    var notify: [JSONValue] {
        var notify: [JSONValue] = []
        if reason == .ackOverdue || reason == .attendOverdue, case let .object(a) = assigned, let id = a["id"] {
            var responder: JSONObject = ["role": "responder", "id": id]
            if let phone = a["phone"] { responder["phone"] = phone }
            notify.append(.object(responder))
        }
        return notify + EscalationPolicy.notify(level: level, commune: commune, district: district, reason: reason)
    }

    var text: String {
        var record = JSONObjectWriter(capacity: 384)
        record.add("at", at.rfc3339)
        record.add("incident", IncidentID.text(number))
        record.add("commune", commune)
        if let village { record.add("village", village) }
        record.add("district", district)
        record.add("severity", severity.rawValue)
        record.add("level", level)
        record.add("reason", reason.rawValue)
        record.add("due", due.rfc3339)
        record.add("late_s", Int(max(0, at.seconds - due.seconds)))
        record.add("assigned", assigned)
        record.add("notify", .array(notify))
        record.add("callback", callback)
        if catchUp { record.add("catch_up", .bool(true)) }
        return record.text
    }
}
