/// The store's domain values as replies: STATUS and `hotlinectl show` (`IncidentView`), the
/// case verbs (`CaseOutcome`), `hotlinectl incidents` and `audit` (`IncidentSummary`,
/// `AuditRecord`), and the store's refusals (`StoreError`) as protocol errors.
extension IncidentView {
    /// What a view without an audited read shows in place of each personal field that holds something.
    public static let hiddenPersonalData = "(hidden; --personal shows it, and the read is recorded)"

    /// The incident as STATUS shows it. `personal`: whether personal data is shown (an audited
    /// read) or each field holding some reads `hidden` instead.
    public func object(showingPersonalData personal: Bool) -> JSONObject {
        func time(_ t: Timestamp?) -> JSONValue { t.map { .string($0.rfc3339) } ?? .null }
        func codes(_ c: [String]?) -> JSONValue { c.map { .array($0.map { .string($0) }) } ?? .null }
        var o: JSONObject = [
            "incident": .string(id), "ref": .string(ref), "duplicate": false, "severity": .string(severity),
            "assigned": assigned, "backups": backups, "shelter": shelter, "ack_due": time(ackDue),
            "attend_due": time(attendDue), "state": .string(state), "level": JSONValue(level), "review": .bool(review),
            "gateway": .string(gateway), "commune": .string(commune), "district": .string(district),
            "village": JSONValue(village), "forms": .array(forms.map { .string($0) }), "victims": JSONValue(victims),
            "children": JSONValue(children), "vulnerable": .bool(vulnerable), "injured": .bool(injured),
            "weapon": .bool(weapon), "needs_shelter": .bool(needsShelter), "callback": .string(callback),
            "reported_at": time(reportedAt), "received_at": time(receivedAt), "acknowledged_at": time(acknowledgedAt),
            "attended_at": time(attendedAt), "closed_at": time(closedAt),
        ]
        o["offender_measures"] = codes(offenderMeasures)
        o["victim_support"] = codes(victimSupport)
        for (name, value) in self.personal.fields {
            o[name] = value.map { .string(personal ? $0 : Self.hiddenPersonalData) } ?? .null
        }
        o["history"] = .array(history.map { .object($0) })
        return o
    }
}

extension CaseOutcome {
    public var object: JSONObject {
        var o: JSONObject = ["incident": .string(incident), "state": .string(state)]
        switch detail {
        case .none: break
        case let .attendDue(due): o["attend_due"] = due.map { .string($0.rfc3339) } ?? .null
        case .review: o["review"] = true
        case let .assigned(assignee): o["assigned"] = assignee
        }
        return o
    }
}

extension StoreError {
    /// The refusal as the protocols word it.
    public var wire: HLPError {
        switch self {
        case let .noIncident(id): HLPError(.notFound, "no incident \(CommandParser.printable(Array(id.utf8)))")
        case let .otherCommune(id, owner?): HLPError(.forbidden, "incident \(id) belongs to commune \(owner)")
        case let .otherCommune(id, nil): HLPError(.forbidden, "incident \(id) belongs to another commune")
        case let .closed(id): HLPError(.conflict, "incident \(id) is closed")
        case let .refReused(ref): HLPError(.conflict, "ref \(ref) was already used with other content")
        case let .invalid(field, rule): .invalid(field: field, rule)
        case let .unavailable(text): HLPError(.unavailable, text)
        }
    }
}

extension IncidentSummary {
    public var object: JSONObject {
        [
            "incident": .string(id), "ref": .string(ref), "gateway": .string(gateway), "commune": .string(commune),
            "district": .string(district), "severity": .string(severity), "state": .string(state),
            "level": JSONValue(level), "review": .bool(review), "assigned": JSONValue(assigned),
            "callback": .string(callback), "reported_at": .string(reportedAt.rfc3339),
            "next_due": nextDue.map { .string($0.rfc3339) } ?? .null,
        ]
    }
}

extension AuditRecord {
    public var object: JSONObject {
        [
            "at": .string(at.rfc3339), "actor_kind": .string(actorKind), "actor": .string(actor),
            "peer": JSONValue(peer), "incident": .string(incident), "action": .string(action),
            "shown": .array(shown.map { .string($0) }),
        ]
    }
}
