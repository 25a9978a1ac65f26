import HotlineCore
import Testing

struct DirectoryLoaderTests {
    @Test func sampleLoadsWithTheProvinceCounts() {
        let d = Fixtures.directory
        #expect(d.communes.count == 143)
        #expect(d.villages.count == 1410)
        #expect(d.hotlines.count == 143)
        #expect(d.responders.count == 4300)
        #expect(d.responders.filter { $0.kind == .preventionGroup }.count == 1551)
        #expect(d.responders.filter { $0.kind == .trustedAddress }.count == 1169)
        #expect(d.responders.filter { $0.kind == .healthFacility }.count == 170)
        // A quoted name with a comma survives.
        #expect(d.responder(id: "PG-14320-01")?.name == "Nhóm PCBLGĐ phố 1, Đông Thành")
    }

    static let communes = "code,name,kind,district_code,district,lat,lon\n1,A,xa,9,D,20.0,105.0\n"
    static let villages = "id,commune_code,name,lat,lon\nV1,1,Thôn 1,20.0,105.0\n"
    static let responders =
        "id,kind,name,commune_code,village_id,lat,lon,phone,hours,shelter_beds\nR1,prevention_group,\"G, 1\",1,V1,20.0,105.0,000,24/7,0\n"
    static let hotlines = "id,commune_code,name,phone\nHL-1,1,Hotline,000\n"

    static func load(communes: String = communes, villages: String = villages, responders: String = responders,
                     hotlines: String = hotlines) throws(DirectoryError) -> Directory
    {
        try DirectoryLoader.parse(
            communes: ("communes.csv", Array(communes.utf8)), villages: ("villages.csv", Array(villages.utf8)),
            responders: ("responders.csv", Array(responders.utf8)), hotlines: ("hotlines.csv", Array(hotlines.utf8)))
    }

    @Test func smallValidSetLoads() throws {
        let d = try Self.load()
        #expect(d.responder(id: "R1")?.name == "G, 1")
        // CRLF and a byte order mark are accepted.
        let crlf = "\u{FEFF}" + Self.communes.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try Self.load(communes: crlf).communes["1"]?.name == "A")
    }

    static let broken: [(String, String, Int, String)] = [
        ("communes", "code,name,kind,district_code,district,lat\n1,A,xa,9,D,20\n", 1, "header lacks column lon"),
        ("communes", communes + "1,B,xa,9,D,20.1,105.1\n", 3, "appears twice"),
        ("communes", communes + "2,B,town,9,D,20.1,105.1\n", 3, "kind must be"),
        ("communes", communes + "2,B,xa,9,D,91,105.1\n", 3, "lat must be"),
        ("communes", communes + "2,B,xa,9,D,20.1\n", 3, "has 6 fields"),
        ("communes", communes + "2,\"B,xa,9,D,20.1,105\n", 3, "not closed"),
        ("villages", villages + "V2,7,Thôn 2,20.0,105.0\n", 3, "commune_code 7 is not in communes.csv"),
        ("responders", responders + "R2,police,P,1,,20,105,000,24/7,0\n", 3, "kind must be one of"),
        ("responders", responders + "R2,club,P,1,V9,20,105,000,24/7,0\n", 3, "village_id V9 is not in villages.csv"),
        ("responders", responders + "R2,club,P,1,,20,105,000,8-17,0\n", 3, "hours must be"),
        ("responders", responders + "R2,health_facility,P,1,,20,105,000,24/7,-1\n", 3, "shelter_beds"),
        ("responders", responders + "R 2,club,P,1,,20,105,000,24/7,0\n", 3, "may hold only"),
        ("hotlines", hotlines + "HL-1,1,Again,000\n", 3, "appears twice"),
    ]

    @Test(arguments: broken)
    func badFilesNameFileLineAndReason(file: String, text: String, line: Int, reason: String) {
        do {
            switch file {
            case "communes": _ = try Self.load(communes: text)
            case "villages": _ = try Self.load(villages: text)
            case "responders": _ = try Self.load(responders: text)
            default: _ = try Self.load(hotlines: text)
            }
            Issue.record("loaded a broken \(file).csv")
        } catch {
            #expect(error.file == "\(file).csv")
            #expect(error.line == line)
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.hasPrefix("\(file).csv:\(line): "))
        }
    }

    @Test func missingFolderIsReported() {
        #expect(throws: DirectoryError.self) { try DirectoryLoader.load(folder: "/nonexistent/folder") }
    }
}
