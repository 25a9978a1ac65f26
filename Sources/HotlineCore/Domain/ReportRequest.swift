/// hotline-protocol(7) `callback`: may a responder phone the caller back without putting them at risk?
public enum Callback: String, Sendable, CaseIterable {
    case safe, unsafe, unknown
}

/// A REPORT whose fields passed every rule, with the defaults filled in.
public struct ReportRequest: Sendable, Equatable {
    public var ref: String
    /// The severity the gateway sent.
    public var requestedSeverity: Severity
    /// The severity in force after `SeverityRules`.
    public var severity: Severity
    public var forms: [ViolenceForm]
    public var commune: String
    public var village: String?
    /// `lat`/`lon` as sent, if any.
    public var reportedPosition: GeoPoint?
    /// Where the incident is: `lat`/`lon`, else the village, else the commune centre.
    public var location: GeoPoint
    public var victims: Int
    public var children: Int
    public var vulnerable: Bool
    public var injured: Bool
    public var weapon: Bool
    public var needsShelter: Bool
    /// Personal data: never logged, never in the queue file.
    public var caller: String?
    /// Personal data: never logged, never in the queue file.
    public var summary: String?
    public var reportedAt: Timestamp
    /// Whether a responder may phone the caller back (the abuser may hold or watch the phone).
    /// A flag, not personal data: it travels with every escalation record.
    public var callback: Callback
    /// Hex SHA-256 of the request object's canonical JSON: the idempotency fingerprint.
    public var contentHash: String

    /// Whether triage must find a shelter place.
    public var wantsShelter: Bool {
        Triage.needsShelter(severity: severity, injured: injured, needsShelter: needsShelter)
    }
}
