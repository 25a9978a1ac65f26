/// The reply to an accepted REPORT.
public struct Receipt: Sendable, Equatable {
    public var incident: String
    public var ref: String
    public var duplicate: Bool
    public var severity: Severity
    public var triage: TriageResult
    public var ackDue: Timestamp
    public var attendDue: Timestamp
    public var callback: Callback

    public init(
        incident: String, ref: String, duplicate: Bool, severity: Severity, triage: TriageResult, ackDue: Timestamp,
        attendDue: Timestamp, callback: Callback = .unknown
    ) {
        self.callback = callback
        self.incident = incident
        self.ref = ref
        self.duplicate = duplicate
        self.severity = severity
        self.triage = triage
        self.ackDue = ackDue
        self.attendDue = attendDue
    }

    /// The receipt object, keys in the order of hotline-protocol(7) (`callback` last).
    public var json: JSONObject {
        [
            "incident": .string(incident), "ref": .string(ref), "duplicate": .bool(duplicate),
            "severity": .string(severity.rawValue), "assigned": triage.assigned?.json ?? .null,
            "backups": .array(triage.backups.map(\.json)), "shelter": triage.shelter?.json ?? .null,
            "ack_due": .string(ackDue.rfc3339), "attend_due": .string(attendDue.rfc3339),
            "callback": .string(callback.rawValue),
        ]
    }
}
