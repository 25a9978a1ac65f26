import HotlineCore
import Testing

struct TriageTests {
    /// Brute force: every eligible responder, ordered by (haversine distance, id).
    static func bruteForce(_ d: Directory, _ p: GeoPoint, _ t: Timestamp, _ held: [String: Int], shelter: Bool)
        -> ([String], String?)
    {
        let eligible = d.responders.filter { $0.kind.isAssignable && $0.hours.isOpen(at: t) }
            .map { ($0.id, p.distance(to: $0.position)) }
            .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        var facility: String?
        if shelter {
            facility = d.responders.filter { $0.kind == .healthFacility && $0.shelterBeds - held[$0.id, default: 0] > 0 }
                .map { ($0.id, p.distance(to: $0.position)) }
                .min { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }?.0
        }
        return (eligible.prefix(3).map(\.0), facility)
    }

    @Test func matchesBruteForceOnRandomPointsAndTimes() throws {
        let d = Fixtures.directory
        var rng = SeededGenerator(seed: 42)
        let base = try #require(Timestamp(rfc3339: "2026-11-29T00:00:00Z"))
        // Hold every place of some facilities so that shelter search must skip them.
        var held: [String: Int] = [:]
        for r in d.responders where r.kind == .healthFacility && Int.random(in: 0..<3, using: &rng) == 0 {
            held[r.id] = r.shelterBeds
        }
        for _ in 0..<600 {
            let p = GeoPoint(lat: Double.random(in: 19.9...20.6, using: &rng), lon: Double.random(in: 105.5...106.2, using: &rng))
            let t = base.adding(seconds: Int64.random(in: 0..<86_400, using: &rng))
            let result = Triage.triage(directory: d, at: p, time: t, needsShelter: true, heldPlaces: held)
            let (expected, facility) = Self.bruteForce(d, p, t, held, shelter: true)
            let got = ([result.assigned] + result.backups.map { Optional($0) }).compactMap { $0?.responder.id }
            #expect(got == expected, "at \(p) \(t)")
            #expect(result.shelter?.responder.id == facility)
            // The distance reported is the distance (or nobody is assigned, as brute force found).
            #expect(result.assigned.map { abs(Double($0.distanceMeters) - p.distance(to: $0.responder.position)) <= 0.5 } ?? expected.isEmpty)
        }
    }

    @Test func closedRespondersAreSkippedAndTiesGoToTheSmallerID() throws {
        let pos = GeoPoint(lat: 20.25, lon: 105.97)
        func r(_ id: String, _ hours: OpeningHours, _ dLat: Double = 0) -> Responder {
            Responder(
                id: id, kind: .preventionGroup, name: id, communeCode: "1", villageID: nil,
                position: GeoPoint(lat: pos.lat + dLat, lon: pos.lon), phone: "p", hours: hours, shelterBeds: 0)
        }
        let d = Directory(
            communes: [Commune(code: "1", name: "C", kind: "xa", districtCode: "9", district: "D", position: pos)],
            villages: [],
            responders: [
                r("B", .always, 0.001), r("A", .always, 0.001), r("C", .never), r("D", .window(start: 0, end: 60)),
                r("E", .always, 0.002),
            ],
            hotlines: [])
        let noon = try #require(Timestamp(rfc3339: "2026-11-29T12:00:00+07:00"))
        let result = Triage.triage(directory: d, at: pos, time: noon, needsShelter: false, heldPlaces: [:])
        #expect(result.assigned?.responder.id == "A")
        #expect(result.backups.map { $0.responder.id } == ["B", "E"])
        #expect(result.shelter == nil)
        let halfPastMidnight = try #require(Timestamp(rfc3339: "2026-11-29T00:30:00+07:00"))
        let night = Triage.triage(directory: d, at: pos, time: halfPastMidnight, needsShelter: false, heldPlaces: [:])
        #expect(night.assigned?.responder.id == "D")
    }

    @Test func nationalScaleIndexAgreesWithBruteForce() {
        // 100,000 responders spread over Vietnam's extent: the index must stay exact.
        var rng = SeededGenerator(seed: 7)
        let points = (0..<100_000).map { _ in
            GeoPoint(lat: Double.random(in: 8.5...23.4, using: &rng), lon: Double.random(in: 102.1...109.5, using: &rng))
        }
        let index = SpatialIndex(points: points)
        for _ in 0..<50 {
            let q = GeoPoint(lat: Double.random(in: 8.5...23.4, using: &rng), lon: Double.random(in: 102.1...109.5, using: &rng))
            let got = index.nearest(to: q, k: 3) { $0 % 3 != 0 }.map(\.item)
            var candidates: [(Int, Double)] = []
            for i in points.indices where i % 3 != 0 { candidates.append((i, q.distance(to: points[i]))) }
            candidates.sort { a, b in a.1 != b.1 ? a.1 < b.1 : a.0 < b.0 }
            let expected: [Int] = candidates.prefix(3).map { $0.0 }
            #expect(got == expected)
        }
    }

    @Test(arguments: [
        (Severity.low, false, false, 0, Severity.low),
        (.low, true, false, 0, .high),
        (.critical, true, false, 0, .critical),
        (.normal, false, true, 0, .normal),
        (.normal, false, true, 2, .critical),
        (.low, false, false, 3, .low),
        (.low, true, true, 0, .critical),
    ])
    func severityRules(requested: Severity, weapon: Bool, injured: Bool, children: Int, expected: Severity) {
        #expect(SeverityRules.inForce(requested: requested, weapon: weapon, injured: injured, children: children) == expected)
    }
}

struct PreparedReportTests {
    static func request(_ json: String) throws -> ReportRequest {
        guard case let .object(o) = try JSONParser.parse(json) else { throw HLPError(.syntax, "not an object") }
        return try ReportValidator.validate(
            o, commune: "14320", directory: Fixtures.directory, now: Timestamp(rfc3339: "2026-11-29T08:00:00Z")!)
    }

    @Test(arguments: [
        #"{"ref":"p-1","severity":"normal","forms":["economic"]}"#,
        #"{"ref":"p-2","severity":"critical","forms":["physical","sexual"],"village":"V14320-03"}"#,
        #"{"ref":"p:3_x.y-z","severity":"low","forms":["psychological"],"needs_shelter":true,"reported_at":"2026-11-29T01:00:00+07:00"}"#,
    ])
    func theReceiptTextIsTheReceiptObject(json: String) throws {
        let r = try Self.request(json)
        let d = Fixtures.directory
        let p = PreparedReport(r, directory: d, deadlines: .defaults)
        let triage = Triage.triage(
            directory: d, at: r.location, time: r.reportedAt, needsShelter: r.wantsShelter, heldPlaces: [:])
        #expect(p.assigned == triage.assigned)
        #expect(p.backups == triage.backups)
        // With no place held, the first candidate is triage's shelter.
        #expect(p.shelterCandidates.first == triage.shelter)
        #expect(p.shelterCandidates.isEmpty == !r.wantsShelter)
        let w = DeadlineTable.defaults[r.severity]
        let receipt = Receipt(
            incident: "INC-000042", ref: r.ref, duplicate: false, severity: r.severity, triage: triage,
            ackDue: r.reportedAt.adding(seconds: w.ack), attendDue: r.reportedAt.adding(seconds: w.attend))
        let text = p.receiptText(incident: "INC-000042", shelterJSON: triage.shelter?.jsonText ?? "null")
        #expect(text == receipt.json.jsonText)
        // The duplicate flag flips in place, and only it.
        let stored = IntakeReceipt(incident: "INC-000042", severity: r.severity.rawValue, duplicate: false, text: text)
        var expected = receipt.json
        expected["duplicate"] = true
        #expect(try JSONParser.parse(stored.asDuplicate.text) == .object(expected))
        #expect(stored.asDuplicate.duplicate)
        #expect(stored.asDuplicate.asDuplicate == stored.asDuplicate)
    }

    /// A responder's pre-encoded JSON is what the JSON tree renders, escapes and all.
    @Test func assignmentTextMatchesItsJSONTree() {
        let names = ["Nhóm PCBLGĐ \"Đông\" \\ 1", "tab\tnew\nline\u{7F}\u{01}", "", "Tổ hòa giải"]
        for (i, name) in names.enumerated() {
            let r = Responder(
                id: "PG-\(i)", kind: .trustedAddress, name: name, communeCode: "14320", villageID: nil,
                position: GeoPoint(lat: 20.28, lon: 105.96), phone: "0912\"345", hours: .always, shelterBeds: 0)
            for distance in [0, 7, 12_345, -3] {
                let a = Assignment(responder: r, distanceMeters: distance)
                #expect(a.jsonText == a.json.jsonText)
            }
        }
    }
}
