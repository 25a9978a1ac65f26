/// Who read a survivor's details, and who acted on a case (as GBV case-management systems
/// keep it). An audit row names the reader (an operator's Unix user, or a gateway and its
/// peer address), the time, the incident and what was shown or done; never the personal data
/// itself. A read of personal data is recorded durably before the data is sent.
public struct AuditRecord: Sendable, Equatable {
    public var at: Timestamp
    /// `operator`, `gateway` or `dashboard`.
    public var actorKind: String
    public var actor: String
    /// The gateway connection's peer address, if a gateway.
    public var peer: String?
    /// The incident, or `-` for a record about none (a dashboard login or view).
    public var incident: String
    /// `read` (personal data shown) or the operator's verb (`ack`, `attend`, `close`, `reassign`).
    public var action: String
    /// The personal-data fields that were shown (names only), for reads.
    public var shown: [String]

    public init(
        at: Timestamp, actorKind: String, actor: String, peer: String?, incident: String, action: String, shown: [String]
    ) {
        self.at = at
        self.actorKind = actorKind
        self.actor = actor
        self.peer = peer
        self.incident = incident
        self.action = action
        self.shown = shown
    }
}

/// An incident in the operator's list: where, how grave, how far along; no personal data.
public struct IncidentSummary: Sendable, Equatable {
    public var id: String
    public var ref: String
    public var gateway: String
    public var commune: String
    public var district: String
    public var severity: String
    public var state: String
    public var level: Int
    public var review: Bool
    public var assigned: String?
    public var callback: String
    public var reportedAt: Timestamp
    /// The next deadline watched (acknowledgement or attendance), if any.
    public var nextDue: Timestamp?

    public init(
        id: String, ref: String, gateway: String, commune: String, district: String, severity: String, state: String,
        level: Int, review: Bool, assigned: String?, callback: String, reportedAt: Timestamp, nextDue: Timestamp?
    ) {
        self.id = id
        self.ref = ref
        self.gateway = gateway
        self.commune = commune
        self.district = district
        self.severity = severity
        self.state = state
        self.level = level
        self.review = review
        self.assigned = assigned
        self.callback = callback
        self.reportedAt = reportedAt
        self.nextDue = nextDue
    }
}
