import HotlineCore
import Testing

/// `ReportFastPath` must agree with the general path (`CommandParser` + `ReportValidator`):
/// whatever it returns is exactly what the general path returns for the same bytes, and it
/// does take the common report.
struct ReportFastPathTests {
    static let now = ReportValidatorTests.now

    /// The general path's outcome for a REPORT's arguments.
    static func general(_ body: String) -> Result<ReportRequest, HLPError> {
        do {
            guard case let .report(o)? = try CommandParser.parse(Array(("REPORT " + body).utf8)) else {
                return .failure(HLPError(.syntax, "not a report"))
            }
            return .success(try ReportValidator.validate(o, commune: "14320", directory: Fixtures.directory, now: now))
        } catch {
            return .failure(error)
        }
    }

    static func fast(_ body: String) -> ReportRequest? {
        ReportFastPath.validate(Array(body.utf8)[...], commune: "14320", directory: Fixtures.directory, now: now)
    }

    /// Checks one body; says whether the fast path took it.
    @discardableResult
    static func agree(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard let request = fast(body) else { return false }
        let general = general(body)
        #expect(general == .success(request), "\(body)", sourceLocation: sourceLocation)
        return true
    }

    static let taken: [String] = [
        #"{"ref":"r-1","severity":"high","forms":["physical"]}"#,
        #"  { "ref" : "r-1" , "severity":"high" ,"forms" : [ "physical" , "sexual" ] }  "#,
        #"{"forms":["economic","psychological","sexual","physical"],"severity":"low","ref":"a:b.c_d-e"}"#,
        #"{"ref":"r","severity":"critical","forms":["physical"],"commune":"14320","village":"V14320-02","lat":20.27,"lon":105.96,"victims":3,"children":2,"vulnerable":true,"injured":true,"weapon":false,"needs_shelter":true,"caller":"Chị Lan","summary":"Chồng đánh vợ, hàng xóm gọi.","reported_at":"2026-11-29T15:04:00+07:00","callback":"unsafe"}"#,
        #"{"ref":"r","severity":"normal","forms":["physical"],"victims":2.0,"children":-0,"lat":20.270,"lon":105.96000}"#,
        #"{"ref":"r","severity":"normal","forms":["physical"],"caller":"\#(String(repeating: "ắ", count: 32))","summary":"\#(String(repeating: "x", count: 2000))"}"#,
        #"{"ref":"r","severity":"normal","forms":["physical"],"callback":"safe","reported_at":"2026-11-29T08:05:00Z"}"#,
    ]

    @Test func takesTheCommonReportAndAgrees() {
        for body in Self.taken {
            #expect(Self.agree(body), "the fast path did not take \(body)")
        }
    }

    /// Everything the validator's tests refuse, and what the fast path leaves to the general
    /// path (escapes, exponents, repeated or unknown keys, DEL), gets the general path's answer.
    @Test func leavesEverythingElseToTheGeneralPath() {
        let base = ReportValidatorTests.base
        var bodies = ReportValidatorTests.invalid.map { "{" + base + "," + $0.0 + "}" }
        bodies += ReportValidatorTests.required.map { "{" + $0.0 + "}" }
        bodies += [
            "{}", "[]", "", "{", #"{"ref":"r-1""#, #"{"ref":"r-1",}"#,
            "{" + base + #","summary":"a\nb"}"#, "{" + base + #","summary":"tab\there"}"#,
            "{" + base + #","caller":"\u0041"}"#, "{" + base + #","ref":"r-2"}"#,
            "{" + base + #","victims":1e0}"#, "{" + base + #","lat":2e1,"lon":105.96}"#,
            "{" + base + #","summary":"del\#u{7F}"}"#, "{" + base + #","victims":01}"#,
            "{" + base + #","commune":"14323"}"#, "{" + base + #","forms":["physical"]}"#,
            "{" + base + "} x", "{" + base + #","vulnerable":tru}"#, "{" + base + #","victims":-}"#,
            #"{"ref":"r","severity":"high","forms":["physical","physical"]}"#,
            #"{"ref":"r","severity":"high","forms":["physical","sexual","economic","psychological","physical"]}"#,
            #"{"ref":"r","severity":"high","forms":[1]}"#, #"{"ref":"r","severity":"high","forms":[]}"#,
            #"{"r\u0065f":"r","severity":"high","forms":["physical"]}"#,
        ]
        for body in bodies { Self.agree(body) }
        // Those that must not be taken: the general path refuses them.
        for body in bodies where (try? Self.general(body).get()) == nil {
            #expect(Self.fast(body) == nil, "\(body)")
        }
    }

    /// Random reports: fields in any order, any subset, values of the right type or not, in
    /// range or not, with random whitespace. Seeded, so a failure repeats.
    @Test func randomReportsAgree() {
        var rng = SeededGenerator(seed: 20_261_206)
        var taken = 0
        var generalAccepted = 0
        for _ in 0..<20_000 {
            let body = Self.randomReport(&rng)
            if Self.agree(body) { taken += 1 }
            if (try? Self.general(body).get()) != nil { generalAccepted += 1 }
        }
        // Most of what the general path accepts here has nothing the fast path leaves to it.
        #expect(generalAccepted > 2_000)
        #expect(taken * 10 >= generalAccepted * 7, "fast path took \(taken) of \(generalAccepted)")
    }

    static func randomReport(_ rng: inout SeededGenerator) -> String {
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        let ws = ["", "", "", " ", "  ", "\t"]
        let values: [String: [String]] = [
            "ref": [#""r-1""#, #""a""#, #""""#, #""has space""#, #""\#(String(repeating: "a", count: 64))""#, "7"],
            "severity": [#""critical""#, #""high""#, #""normal""#, #""low""#, #""HIGH""#, "null"],
            "forms": [
                #"["physical"]"#, #"["sexual","economic"]"#, #"[ "psychological" , "physical" ]"#, "[]",
                #"["physical","physical"]"#, #""physical""#,
            ],
            "commune": [#""14320""#, #""14323""#, "14320"],
            "village": [#""V14320-01""#, #""V14320-02""#, #""V14323-01""#, #""nope""#, "5"],
            "lat": ["20.27", "20.2712345", "91", "-0", #""20.27""#, "10.8"],
            "lon": ["105.96", "105.9612", "181", "106.6", "null"],
            "victims": ["1", "2", "50", "51", "0", "2.0", "1.5", "-1", #""2""#],
            "children": ["0", "3", "50", "51", "-1", "true"],
            "vulnerable": ["true", "false", "0"], "injured": ["true", "false", #""yes""#],
            "weapon": ["true", "false", "1"], "needs_shelter": ["true", "false", "null"],
            "caller": [#""Chị Lan""#, #""0912 345 678""#, #""\#(String(repeating: "x", count: 33))""#, #""a\"b""#, "12"],
            "summary": [#""Chồng đánh vợ""#, #""line\nbreak""#, #""""#, "[]"],
            "reported_at": [
                #""2026-11-29T07:00:00Z""#, #""2026-11-29T15:04:00+07:00""#, #""2026-11-29T08:05:01Z""#,
                #""1999-12-31T23:59:59Z""#, #""yesterday""#,
            ],
            "callback": [#""safe""#, #""unsafe""#, #""unknown""#, #""maybe""#],
            "colour": [#""red""#],
        ]
        var members: [String] = []
        for required in ["ref", "severity", "forms"] where chance(97) {
            members.append(required)
        }
        for optional in values.keys.sorted() where !["ref", "severity", "forms"].contains(optional) {
            if chance(optional == "colour" ? 2 : 30) { members.append(optional) }
        }
        if chance(2), let any = members.first { members.append(any) }  // a repeated key
        members.shuffle(using: &rng)
        let parts = members.map { key -> String in
            let candidates = values[key]!
            // Mostly the first (valid) values.
            let value = chance(75) ? candidates[Int(rng.next() % 2) % candidates.count] : pick(candidates)
            return pick(ws) + "\"" + key + "\"" + pick(ws) + ":" + pick(ws) + value + pick(ws)
        }
        return pick(ws) + "{" + parts.joined(separator: ",") + "}" + pick(ws)
    }
}
