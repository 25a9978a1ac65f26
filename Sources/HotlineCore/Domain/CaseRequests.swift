/// The state of an incident (hotline-protocol(7)): open → acknowledged → attended → closed.
public enum IncidentState: String, Sendable, CaseIterable {
    case open, acknowledged, attended, closed
}

/// The measures that can be taken against an offender (CLOSE).
public enum OffenderMeasure: String, Sendable, CaseIterable {
    case stopOrder = "stop_order", policeSummons = "police_summons", noContactCommune = "no_contact_commune"
    case noContactCourt = "no_contact_court", communityCriticism = "community_criticism"
    case communityService = "community_service", behaviourEducation = "behaviour_education"
    case administrativeFine = "administrative_fine", criminalProsecution = "criminal_prosecution", none
}

/// The support that can be given to a victim (CLOSE).
public enum VictimSupport: String, Sendable, CaseIterable {
    case medicalCare = "medical_care", shelter, counselling, legalAid = "legal_aid"
    case vocationalTraining = "vocational_training", livingSupport = "living_support"
    case postViolenceCare = "post_violence_care", none
}

/// A validated ACK, ATTEND, CLOSE or RETRACT.
public enum CaseAction: Sendable, Equatable {
    /// `responder`: who took the case, if the gateway said; `at`: when (default now).
    case ack(responder: String?, at: Timestamp)
    case attend(responder: String?, at: Timestamp)
    /// `note` is personal data: stored, never logged or queued.
    case close(offenderMeasures: [OffenderMeasure], victimSupport: [VictimSupport], note: String?, at: Timestamp)
    /// `reason` is personal data: stored, never logged or queued.
    case retract(reason: String, at: Timestamp)
    /// An operator hands the incident to another prevention group or trusted address.
    case reassign(responder: String, at: Timestamp)

    public var verb: String {
        switch self {
        case .ack: "ACK"
        case .attend: "ATTEND"
        case .close: "CLOSE"
        case .retract: "RETRACT"
        case .reassign: "REASSIGN"
        }
    }

    public var at: Timestamp {
        switch self {
        case let .ack(_, at), let .attend(_, at), let .close(_, _, _, at), let .retract(_, at), let .reassign(_, at): at
        }
    }
}

/// Checks the JSON of the case verbs.
public enum CaseActionValidator {
    public static func ack(_ o: JSONObject?, directory: Directory, now: Timestamp, attend: Bool) throws(HLPError) -> CaseAction {
        var responder: String?
        var at = now
        if let o {
            try onlyFields(o, ["responder", "at"])
            if let v = o["responder"] {
                guard let id = v.stringValue, directory.responder(id: id) != nil else {
                    throw .invalid(field: "responder", "must be a responder id of the directory")
                }
                responder = id
            }
            if let v = o["at"] { at = try time(v, "at", now: now) }
        }
        return attend ? .attend(responder: responder, at: at) : .ack(responder: responder, at: at)
    }

    public static func close(_ o: JSONObject, now: Timestamp) throws(HLPError) -> CaseAction {
        try onlyFields(o, ["offender_measures", "victim_support", "note", "at"])
        let measures: [OffenderMeasure] = try codes(o, "offender_measures")
        let support: [VictimSupport] = try codes(o, "victim_support")
        var note: String?
        if let v = o["note"] {
            guard let s = v.stringValue, s.count <= 2000 else {
                throw .invalid(field: "note", "must be a string of at most 2000 characters")
            }
            try ReportValidator.storableText(s, "note")
            note = s
        }
        var at = now
        if let v = o["at"] { at = try time(v, "at", now: now) }
        return .close(offenderMeasures: measures, victimSupport: support, note: note, at: at)
    }

    public static func retract(_ o: JSONObject, now: Timestamp) throws(HLPError) -> CaseAction {
        try onlyFields(o, ["reason"])
        guard let v = o["reason"] else { throw .invalid(field: "reason", "is required") }
        guard let s = v.stringValue, !s.isEmpty, s.count <= 2000 else {
            throw .invalid(field: "reason", "must be a non-empty string of at most 2000 characters")
        }
        try ReportValidator.storableText(s, "reason")
        return .retract(reason: s, at: now)
    }

    static func onlyFields(_ o: JSONObject, _ allowed: Set<String>) throws(HLPError) {
        for key in o.keys where !allowed.contains(key) {
            throw HLPError(.invalid, "unknown field \"\(CommandParser.printable(Array(key.utf8)))\"")
        }
    }

    static func time(_ v: JSONValue, _ field: String, now: Timestamp) throws(HLPError) -> Timestamp {
        guard let s = v.stringValue, let t = Timestamp(rfc3339: s) else {
            throw .invalid(field: field, "must be an RFC 3339 time such as 2026-11-29T08:30:00Z")
        }
        guard t.seconds <= now.seconds + HLPDefaults.maxFutureSkewSeconds else {
            throw .invalid(field: field, "is more than 5 minutes in the future")
        }
        guard t.seconds >= HLPDefaults.earliestTimeSeconds else {
            throw .invalid(field: field, "is before 2000-01-01T00:00:00Z")
        }
        return t
    }

    static func codes<Code: RawRepresentable & CaseIterable & Equatable>(_ o: JSONObject, _ field: String)
        throws(HLPError) -> [Code] where Code.RawValue == String
    {
        let rule = "must be a non-empty array of distinct codes: " + Code.allCases.map(\.rawValue).joined(separator: ", ")
        guard let v = o[field] else { throw .invalid(field: field, "is required") }
        guard let items = v.arrayValue, !items.isEmpty, items.count <= Code.allCases.count else {
            throw .invalid(field: field, rule)
        }
        var out: [Code] = []
        for item in items {
            guard let text = item.stringValue else { throw .invalid(field: field, rule) }
            guard let code = Code(rawValue: text) else {
                throw .invalid(field: field, "has unknown code \"\(CommandParser.printable(Array(text.utf8)))\"")
            }
            guard !out.contains(code) else { throw .invalid(field: field, rule) }
            out.append(code)
        }
        return out
    }
}
