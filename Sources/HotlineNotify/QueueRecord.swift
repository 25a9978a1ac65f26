import HotlineCore

/// One escalation queue record as the notifier needs it: the facts the text is made of and the
/// parties to alert. Never a caller's number, a summary, a note or a reason: the queue has none.
public struct QueueRecord: Sendable, Equatable {
    public struct Party: Sendable, Equatable {
        public var role: String
        /// A responder's id, else the commune or district code the role is for.
        public var id: String?
        public var phone: String?
        public var commune: String?
        public var district: String?
    }

    public struct Assignee: Sendable, Equatable {
        public var id: String
        public var name: String
        public var phone: String
    }

    public var seq: Int64
    public var at: Timestamp
    public var incident: String?
    public var commune: String?
    public var district: String?
    public var village: String?
    public var severity: String?
    public var level: Int
    public var reason: String
    public var due: Timestamp?
    public var assigned: Assignee?
    public var notify: [Party]
    public var callback: String

    /// Nil when the object is not a queue record (no seq, at or reason).
    public init?(_ o: JSONObject) {
        guard let seq = o["seq"]?.integerValue, let at = o["at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            let reason = o["reason"]?.stringValue
        else { return nil }
        self.seq = Int64(seq)
        self.at = at
        self.reason = reason
        incident = o["incident"]?.stringValue
        commune = o["commune"]?.stringValue
        district = o["district"]?.stringValue
        village = o["village"]?.stringValue
        severity = o["severity"]?.stringValue
        level = o["level"]?.integerValue ?? 0
        due = o["due"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        callback = o["callback"]?.stringValue ?? "unknown"
        if let a = o["assigned"]?.objectValue, let id = a["id"]?.stringValue {
            assigned = Assignee(id: id, name: a["name"]?.stringValue ?? id, phone: a["phone"]?.stringValue ?? "")
        }
        notify = (o["notify"]?.arrayValue ?? []).compactMap { v in
            guard let n = v.objectValue, let role = n["role"]?.stringValue else { return nil }
            return Party(
                role: role, id: n["id"]?.stringValue, phone: n["phone"]?.stringValue, commune: n["commune"]?.stringValue,
                district: n["district"]?.stringValue)
        }
        // A record with no party named (store_restored, say) is the province's to know.
        if notify.isEmpty, reason == "store_restored" { notify = [Party(role: "province")] }
    }
}
