import HotlineCore
import Testing

struct ReportValidatorTests {
    static let now = Timestamp(rfc3339: "2026-11-29T08:00:00Z")!
    static let base = #""ref":"r-1","severity":"high","forms":["physical"]"#

    func validate(_ extra: String, base: String = base) throws(HLPError) -> ReportRequest {
        let text = "{" + base + (extra.isEmpty ? "" : "," + extra) + "}"
        guard case let .object(o) = try! JSONParser.parse(text) else { fatalError() }
        return try ReportValidator.validate(o, commune: "14320", directory: Fixtures.directory, now: Self.now)
    }

    @Test func defaultsAndPosition() throws {
        let r = try validate("")
        #expect(r.victims == 1 && r.children == 0 && !r.injured && !r.weapon && !r.needsShelter && !r.vulnerable)
        #expect(r.reportedAt == Self.now)
        #expect(r.location == Fixtures.directory.communes["14320"]!.position)
        let v = try validate(#""village":"V14320-02""#)
        #expect(v.location == Fixtures.directory.villages["V14320-02"]!.position)
        let p = try validate(#""village":"V14320-02","lat":20.27,"lon":105.96"#)
        #expect(p.location == GeoPoint(lat: 20.27, lon: 105.96))
        let t = try validate(#""reported_at":"2026-11-29T15:04:00+07:00""#)
        #expect(t.reportedAt.rfc3339 == "2026-11-29T08:04:00Z")
    }

    @Test func contentHashIgnoresOrderButNotPresence() throws {
        let a = try validate(#""victims":2"#)
        let b = try validate(#""victims":2.0"#, base: #""forms":["physical"],"severity":"high","ref":"r-1""#)
        let c = try validate(#""victims":2,"weapon":false"#)
        #expect(a.contentHash == b.contentHash)
        #expect(a.contentHash != c.contentHash)
    }

    static let invalid: [(String, String)] = [
        (#""colour":"red""#, "unknown field \"colour\""),
        (#""victims":0"#, "victims"),
        (#""victims":51"#, "victims"),
        (#""victims":1.5"#, "victims"),
        (#""victims":"2""#, "victims"),
        (#""children":-1"#, "children"),
        (#""injured":"yes""#, "injured"),
        (#""weapon":1"#, "weapon"),
        (#""needs_shelter":null"#, "needs_shelter"),
        (#""vulnerable":0"#, "vulnerable"),
        (#""village":"V14323-01""#, "village"),
        (#""village":5"#, "village"),
        (#""lat":20.27"#, "lon"),
        (#""lon":105.9"#, "lat"),
        (#""lat":91,"lon":105.9"#, "lat"),
        (#""lat":20.27,"lon":"105.9""#, "lon"),
        (#""lat":10.8,"lon":106.6"#, "service area"),
        (#""caller":"012345678901234567890123456789012""#, "caller"),
        (#""caller":12"#, "caller"),
        (#""summary":"\#(String(repeating: "x", count: 2001))""#, "summary"),
        (#""reported_at":"2026-11-29T08:05:01Z""#, "future"),
        (#""reported_at":"yesterday""#, "reported_at"),
        (#""commune":14320"#, "commune"),
    ]

    @Test(arguments: invalid)
    func fieldRules(extra: String, mention: String) {
        do {
            _ = try validate(extra)
            Issue.record("accepted \(extra)")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.text.contains(mention), "\(error.text)")
        }
    }

    static let required: [(String, String)] = [
        (#""severity":"high","forms":["physical"]"#, "ref"),
        (#""ref":"","severity":"high","forms":["physical"]"#, "ref"),
        (#""ref":"has space","severity":"high","forms":["physical"]"#, "ref"),
        (#""ref":"\#(String(repeating: "a", count: 65))","severity":"high","forms":["physical"]"#, "ref"),
        (#""ref":"é","severity":"high","forms":["physical"]"#, "ref"),
        (#""ref":"a","forms":["physical"]"#, "severity"),
        (#""ref":"a","severity":"HIGH","forms":["physical"]"#, "severity"),
        (#""ref":"a","severity":"high""#, "forms"),
        (#""ref":"a","severity":"high","forms":[]"#, "forms"),
        (#""ref":"a","severity":"high","forms":["verbal"]"#, "forms"),
        (#""ref":"a","severity":"high","forms":["physical","physical"]"#, "forms"),
        (#""ref":"a","severity":"high","forms":"physical""#, "forms"),
    ]

    @Test(arguments: required)
    func requiredFields(base: String, mention: String) {
        do {
            _ = try validate("", base: base)
            Issue.record("accepted \(base)")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.text.contains("\"\(mention)\""), "\(error.text)")
        }
    }

    @Test func otherCommuneIsForbidden() {
        #expect(throws: HLPError(.forbidden, "gateway may report only for commune 14320")) {
            try validate(#""commune":"14323""#)
        }
    }

    @Test func longestAllowedValuesPass() throws {
        let r = try validate(
            #""caller":"\#(String(repeating: "ắ", count: 32))","summary":"\#(String(repeating: "x", count: 2000))","victims":50,"children":50"#)
        #expect(r.caller?.count == 32)
    }
}
