import HotlineHarness
import Foundation
import HotlineCore
import Testing

/// Who read a survivor's details and who acted on a case: recorded before the data leaves,
/// listed by `hotlinectl audit`, never holding the data itself.
@Suite(.serialized)
struct AuditTests {
    @Test(arguments: StoreBackend.allCases) func readsOfPersonalDataAndOperatorActionsAreAudited(backend: StoreBackend) throws {
        let daemon = try DaemonProcess(backend: backend)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let c = try daemon.gateway("14638")
        let r = try okObject(
            try c.request(#"REPORT {"ref":"au-1","severity":"high","forms":["physical"],"caller":"0912-MARK","summary":"MARK-SUMMARY"}"#))
        let id = try #require(r["incident"]?.stringValue)
        // The gateway's STATUS shows its commune's caller: recorded with its peer address.
        #expect(try okObject(try c.request("STATUS \(id)"))["caller"] == "0912-MARK")
        // An operator's show hides the details unless asked; asking is recorded.
        let (_, plain) = try daemon.hotlinectl(["show", id])
        #expect(!plain.contains("0912-MARK") && !plain.contains("MARK-SUMMARY"))
        #expect(plain.contains("caller: (hidden; --personal shows it, and the read is recorded)"))
        let (_, personal) = try daemon.hotlinectl(["show", "--personal", id])
        #expect(personal.contains("caller: 0912-MARK"))
        let (ackCode, _) = try daemon.hotlinectl(["ack", id])
        #expect(ackCode == 0)
        let (auditCode, json) = try daemon.hotlinectl(["--json", "audit"])
        #expect(auditCode == 0, "\(json)")
        #expect(!json.contains("0912-MARK") && !json.contains("MARK-SUMMARY"))
        let records = try #require(try JSONParser.parse(json).objectValue?["audit"]?.arrayValue?.compactMap(\.objectValue))
        let user = ProcessInfo.processInfo.environment["USER"] ?? (geteuid() == 0 ? "root" : "")
        #expect(records.count == 3)  // newest first: the ack, the personal show, the STATUS
        #expect(records.map { $0["action"] } == ["ack", "read", "read"])
        #expect(records[0]["actor_kind"] == "operator")
        #expect(records[1]["actor_kind"] == "operator")
        #expect(records[1]["shown"] == ["caller", "summary"])
        #expect(records[2]["actor_kind"] == "gateway" && records[2]["actor"] == "HL-14638")
        #expect(records[2]["peer"] == "127.0.0.1")
        #expect(!user.isEmpty)
        #expect(records[0]["actor"] == .string(user))
        // Filters.
        let (_, byGateway) = try daemon.hotlinectl(["--json", "audit", "--operator", "HL-14638"])
        #expect(try JSONParser.parse(byGateway).objectValue?["audit"]?.arrayValue?.count == 1)
        let (_, other) = try daemon.hotlinectl(["--json", "audit", "--incident", "INC-999999"])
        #expect(try JSONParser.parse(other).objectValue?["audit"]?.arrayValue?.isEmpty == true)
        let (_, future) = try daemon.hotlinectl(["--json", "audit", "--since", "2999-01-01T00:00:00Z"])
        #expect(try JSONParser.parse(future).objectValue?["audit"]?.arrayValue?.isEmpty == true)
        let (_, table) = try daemon.hotlinectl(["audit", "--incident", id])
        #expect(table.hasPrefix("AT"))
        #expect(table.contains("gateway") && table.contains("HL-14638") && table.contains("caller,summary"))
    }
}
