/// A responder chosen for an incident, with its distance from the incident.
public struct Assignment: Sendable, Equatable {
    public var responder: Responder
    public var distanceMeters: Int

    public init(responder: Responder, distanceMeters: Int) {
        self.responder = responder
        self.distanceMeters = distanceMeters
    }

    /// `{"id","kind","name","phone","distance_m"}` as in the receipt.
    public var json: JSONValue {
        .object([
            "id": .string(responder.id), "kind": .string(responder.kind.rawValue), "name": .string(responder.name),
            "phone": .string(responder.phone), "distance_m": JSONValue(distanceMeters),
        ])
    }

    /// `json`'s text, from the responder's pre-encoded members (no JSON tree per report).
    public func writeJSON(into out: inout [UInt8]) {
        out.append(contentsOf: responder.jsonPrefix.utf8)
        JSONValue.writeNumber(Double(distanceMeters), into: &out)
        out.append(UInt8(ascii: "}"))
    }

    public var jsonText: String {
        var out: [UInt8] = []
        out.reserveCapacity(responder.jsonPrefix.utf8.count + 8)
        writeJSON(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

public struct TriageResult: Sendable, Equatable {
    /// The nearest eligible responder, `nil` only if no prevention group or trusted address is
    /// open at the time.
    public var assigned: Assignment?
    /// The next two, nearest first.
    public var backups: [Assignment]
    /// The nearest health facility with a free shelter place, when one was needed.
    public var shelter: Assignment?
}

/// Chooses who responds. Pure: the caller supplies the directory, the time and the shelter
/// places currently held.
public enum Triage {
    /// Number of backups listed after the assignee.
    public static let backupCount = 2

    /// - Parameters:
    ///   - needsShelter: the report is `critical`, `injured` or `needs_shelter`.
    ///   - heldPlaces: shelter places held per health facility id by open incidents.
    public static func triage(
        directory: Directory, at point: GeoPoint, time: Timestamp, needsShelter: Bool, heldPlaces: [String: Int]
    ) -> TriageResult {
        let responders = directory.responders
        let nearest = directory.assignableIndex.nearest(to: point, k: 1 + backupCount) { item in
            responders[directory.assignable[item]].hours.isOpen(at: time)
        }
        let chosen = nearest.map {
            Assignment(responder: responders[directory.assignable[$0.item]], distanceMeters: Int($0.meters.rounded()))
        }
        var shelter: Assignment?
        if needsShelter {
            let facility = directory.facilityIndex.nearest(to: point, k: 1) { item in
                let r = responders[directory.facilities[item]]
                return r.shelterBeds - heldPlaces[r.id, default: 0] > 0
            }.first
            shelter = facility.map {
                Assignment(responder: responders[directory.facilities[$0.item]], distanceMeters: Int($0.meters.rounded()))
            }
        }
        return TriageResult(assigned: chosen.first, backups: Array(chosen.dropFirst()), shelter: shelter)
    }

    /// The `count` nearest health facilities that have shelter beds at all, nearest first.
    public static func shelterCandidates(directory: Directory, at point: GeoPoint, count: Int) -> [Assignment] {
        let responders = directory.responders
        return directory.facilityIndex.nearest(to: point, k: count) { item in
            responders[directory.facilities[item]].shelterBeds > 0
        }.map {
            Assignment(responder: responders[directory.facilities[$0.item]], distanceMeters: Int($0.meters.rounded()))
        }
    }

    /// Whether a report needs a shelter place.
    public static func needsShelter(severity: Severity, injured: Bool, needsShelter: Bool) -> Bool {
        severity == .critical || injured || needsShelter
    }
}
