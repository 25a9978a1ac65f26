/// An incident as the store reads it for STATUS, `hotlinectl show` and the audited reads. The
/// store fills it from its rows; the protocols render it (`IncidentView+Reply`). Personal data
/// is apart, in `PersonalData`: whatever is there is shown only on an audited read and is
/// hidden otherwise, so a new personal field is one more member of that type, not one more name
/// to remember in the places that hide or audit.
public struct IncidentView: Sendable, Equatable {
    public var id: String
    public var ref: String
    public var severity: String
    /// The assignee, backups and shelter place as stored (each the receipt's JSON for it).
    public var assigned: JSONValue
    public var backups: JSONValue
    public var shelter: JSONValue
    public var ackDue: Timestamp?
    public var attendDue: Timestamp?
    public var state: String
    public var level: Int
    public var review: Bool
    public var gateway: String
    public var commune: String
    public var district: String
    public var village: String?
    public var forms: [String]
    public var victims: Int
    public var children: Int
    public var vulnerable: Bool
    public var injured: Bool
    public var weapon: Bool
    public var needsShelter: Bool
    public var callback: String
    public var reportedAt: Timestamp?
    public var receivedAt: Timestamp?
    public var acknowledgedAt: Timestamp?
    public var attendedAt: Timestamp?
    public var closedAt: Timestamp?
    /// The case's outcome once closed (codes), nil before.
    public var offenderMeasures: [String]?
    public var victimSupport: [String]?
    public var personal: PersonalData
    /// Reported, then each event and escalation in time order, as hotline-protocol(7) shows them.
    public var history: [JSONObject]

    public init(
        id: String, ref: String, severity: String, assigned: JSONValue, backups: JSONValue, shelter: JSONValue,
        ackDue: Timestamp?, attendDue: Timestamp?, state: String, level: Int, review: Bool, gateway: String,
        commune: String, district: String, village: String?, forms: [String], victims: Int, children: Int,
        vulnerable: Bool, injured: Bool, weapon: Bool, needsShelter: Bool, callback: String, reportedAt: Timestamp?,
        receivedAt: Timestamp?, acknowledgedAt: Timestamp?, attendedAt: Timestamp?, closedAt: Timestamp?,
        offenderMeasures: [String]?, victimSupport: [String]?, personal: PersonalData, history: [JSONObject]
    ) {
        self.id = id
        self.ref = ref
        self.severity = severity
        self.assigned = assigned
        self.backups = backups
        self.shelter = shelter
        self.ackDue = ackDue
        self.attendDue = attendDue
        self.state = state
        self.level = level
        self.review = review
        self.gateway = gateway
        self.commune = commune
        self.district = district
        self.village = village
        self.forms = forms
        self.victims = victims
        self.children = children
        self.vulnerable = vulnerable
        self.injured = injured
        self.weapon = weapon
        self.needsShelter = needsShelter
        self.callback = callback
        self.reportedAt = reportedAt
        self.receivedAt = receivedAt
        self.acknowledgedAt = acknowledgedAt
        self.attendedAt = attendedAt
        self.closedAt = closedAt
        self.offenderMeasures = offenderMeasures
        self.victimSupport = victimSupport
        self.personal = personal
        self.history = history
    }
}

/// The survivor's and the case's personal data: what the caller said, and the notes written
/// on closing or retracting. The one place these fields are named: the audit records which of
/// them a read showed (`shown`), and a view without an audited read hides each of them.
public struct PersonalData: Sendable, Equatable {
    public var caller: String?
    public var summary: String?
    public var closeNote: String?
    public var retractReason: String?

    /// Read field by field: `read` is given each personal field's name.
    public init(reading read: (String) throws -> String?) rethrows {
        for (name, member) in Self.members { self[keyPath: member] = try read(name) }
    }

    public init(caller: String?, summary: String?, closeNote: String?, retractReason: String?) {
        self.caller = caller
        self.summary = summary
        self.closeNote = closeNote
        self.retractReason = retractReason
    }

    /// The personal fields: each one's name (on the wire and as the store's column) and member,
    /// in the order replies show them. The one list.
    public static var members: [(name: String, member: WritableKeyPath<PersonalData, String?>)] {
        [("caller", \.caller), ("summary", \.summary), ("close_note", \.closeNote), ("retract_reason", \.retractReason)]
    }

    /// The names of the personal fields (what erasure clears).
    public static var names: [String] { members.map(\.name) }

    /// Each field with its name and value, in the order replies show them.
    public var fields: [(name: String, value: String?)] { Self.members.map { ($0.name, self[keyPath: $0.member]) } }

    /// The names of the fields that hold something (what a read of them shows).
    public var shown: [String] { fields.filter { $0.value != nil }.map(\.name) }
}
