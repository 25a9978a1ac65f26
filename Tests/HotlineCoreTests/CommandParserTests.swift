import HotlineCore
import Testing

struct CommandParserTests {
    static let accepted: [(String, Command?)] = [
        ("", nil),
        ("   \t ", nil),
        ("PING", .ping),
        ("ping", .ping),
        ("PiNg  ", .ping),
        ("  QUIT", .quit),
        ("AUTH HL-14320 s3cret", .auth(gateway: "HL-14320", token: "s3cret")),
        ("auth  HL-14320\ttok", .auth(gateway: "HL-14320", token: "tok")),
        ("STATUS INC-000001", .status(incident: "INC-000001")),
        ("status abc", .status(incident: "abc")),
        ("REPORT {}", .report(JSONObject())),
        ("REPORT {\"ref\":\"a\"}", .report(["ref": "a"])),
        ("report   { \"ref\" : \"a\" }  ", .report(["ref": "a"])),
        ("ACK INC-000001", .ack(incident: "INC-000001", nil)),
        ("ACK INC-000001 {\"responder\":\"x\"}", .ack(incident: "INC-000001", ["responder": "x"])),
        ("ATTEND INC-000002", .attend(incident: "INC-000002", nil)),
        ("CLOSE INC-1 {\"note\":\"n\"}", .close(incident: "INC-1", ["note": "n"])),
        ("RETRACT INC-1 {\"reason\":\"r\"}", .retract(incident: "INC-1", ["reason": "r"])),
    ]

    @Test(arguments: accepted)
    func parses(line: String, expected: Command?) throws {
        #expect(try CommandParser.parse(Array(line.utf8)) == expected)
    }

    static let refused: [(String, ErrorCode)] = [
        ("HELO there", .unknownCommand),
        ("PINGX", .unknownCommand),
        ("{\"ref\":1}", .unknownCommand),
        ("PING extra", .syntax),
        ("QUIT now", .syntax),
        ("AUTH", .syntax),
        ("AUTH only-one", .syntax),
        ("AUTH a b c", .syntax),
        ("STATUS", .syntax),
        ("STATUS a b", .syntax),
        ("REPORT", .syntax),
        ("REPORT {", .syntax),
        ("REPORT []", .syntax),
        ("REPORT \"text\"", .syntax),
        ("REPORT {\"a\":1} trailing", .syntax),
        ("REPORT {'a':1}", .syntax),
        ("REPORT {\"a\":01}", .syntax),
        ("REPORT {\"a\":1,}", .syntax),
        ("REPORT {\"a\":\"\\x\"}", .syntax),
        ("REPORT {\"a\":1,\"a\":2}", .invalid),
        ("REPORT " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40), .syntax),
        ("CLOSE INC-1", .syntax),
        ("RETRACT INC-1", .syntax),
        ("ACK INC-1 [1]", .syntax),
    ]

    @Test(arguments: refused)
    func refuses(line: String, code: ErrorCode) {
        #expect(throws: HLPError.self) { try CommandParser.parse(Array(line.utf8)) }
        do {
            _ = try CommandParser.parse(Array(line.utf8))
        } catch {
            #expect(error.code == code, "\(line) -> \(error)")
        }
    }

    @Test func invalidUTF8IsSyntax() {
        for bytes: [UInt8] in [[0xFF], [0x50, 0x49, 0x4E, 0x47, 0xC3], [0xED, 0xA0, 0x80], Array("REPORT {\"a\":\"".utf8) + [0xC0, 0xAF, 0x22, 0x7D]] {
            do {
                _ = try CommandParser.parse(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.code == .syntax)
            }
        }
    }

    @Test func errorLinesStayOnOneLine() {
        let reply = Reply.error(.syntax, "bad\nthing\r")
        #expect(reply.line == "ERR syntax bad thing ")
        #expect(Reply.ok(["a": "x\ny"]).line == "OK {\"a\":\"x\\ny\"}")
    }
}
