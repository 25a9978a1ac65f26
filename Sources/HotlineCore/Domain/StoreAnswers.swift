/// What the store answers besides an incident's view (`IncidentView`): the outcome of a case
/// action, the operator's list and audit, and why it refused. The protocol layer renders them
/// (`StoreReplies`).

/// What ACK, ATTEND, CLOSE, RETRACT or a reassignment left the incident as.
public struct CaseOutcome: Sendable, Equatable {
    public enum Detail: Sendable, Equatable {
        case none
        /// ACK: when attendance is now due (nil when the incident had none).
        case attendDue(Timestamp?)
        /// RETRACT: the incident is flagged for review.
        case review
        /// A reassignment: the new assignee as stored.
        case assigned(JSONValue)
    }

    public var incident: String
    public var state: String
    public var detail: Detail

    public init(incident: String, state: String, detail: Detail = .none) {
        self.incident = incident
        self.state = state
        self.detail = detail
    }
}

/// Why the store did not do what it was asked. The protocols word it (`wire`).
public enum StoreError: Error, Sendable, Equatable {
    /// No incident with this id (as the request wrote it).
    case noIncident(String)
    /// The incident belongs to another commune than the gateway's; `owner` when the refusal may
    /// name it (a case action), nil when it may not (STATUS: only that the id exists).
    case otherCommune(incident: String, owner: String?)
    /// The incident is closed: no more actions.
    case closed(incident: String)
    /// A REPORT's ref was already used with other content.
    case refReused(String)
    /// The request conflicts with the incident itself (a responder, a time).
    case invalid(field: String, String)
    /// The store cannot do it now (shutting down, a full disk, no primary): retry later.
    case unavailable(String)
}

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
