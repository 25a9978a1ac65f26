import HotlineHarness
import Foundation
import HotlineCore
import Testing

@Suite(.serialized)
struct ProtocolTests {
    static let report = #"{"ref":"%@","severity":"high","forms":["physical"]}"#

    @Test func greetingFramingAndErrorsOverTCP() async throws {
        let server = try await TestServer()
        let c = try server.client()
        #expect(try c.readLine() == "HLP/1 test-hotline ready")
        // CRLF, case-insensitive verbs, blank lines get no reply.
        try c.send("\n  \t\r\nping\r\n")
        #expect(try c.readLine() == #"OK {"pong":true}"#)
        #expect(errCode(try c.request("HELLO")) == "unknown-command")
        #expect(errCode(try c.request("REPORT {}")) == "auth-required")
        #expect(errCode(try c.request("STATUS INC-000001")) == "auth-required")
        try c.send([0x50, 0xFF, 0xFE, 0x0A])
        #expect(errCode(try c.readLine()) == "syntax")
        // The line limit: exactly 16384 bytes passes (the trailing CR not counted), one more does not.
        try c.send("PING" + String(repeating: " ", count: 16_380) + "\r\n")
        #expect(try c.readLine() == #"OK {"pong":true}"#)
        try c.send("PING" + String(repeating: " ", count: 16_381) + "\n")
        #expect(errCode(try c.readLine()) == "too-long")
        // A huge line in pieces: one too-long, and the connection stays usable.
        for _ in 0..<10 { try c.send(String(repeating: "x", count: 10_000)) }
        try c.send("\nPING\n")
        #expect(errCode(try c.readLine()) == "too-long")
        #expect(try c.readLine() == #"OK {"pong":true}"#)
        #expect(errCode(try c.request("AUTH HL-14320 nope")) == "auth-failed")
        let auth = try okObject(try c.request("AUTH HL-14320 demo-HL-14320"))
        #expect(auth["gateway"] == "HL-14320")
        #expect(auth["commune"] == "14320")
        #expect(auth["server"] == "test-hotline")
        #expect(auth["protocol"] == 1)
        #expect(errCode(try c.request("REPORT {\"ref\":")) == "syntax")
        #expect(errCode(try c.request(#"REPORT {"ref":"x","severity":"high","forms":["physical"],"colour":1}"#)) == "invalid")
        #expect(
            errCode(try c.request(#"REPORT {"ref":"x","severity":"high","forms":["physical"],"commune":"14323"}"#))
                == "forbidden")
        #expect(errCode(try c.request("STATUS INC-999999")) == "not-found")
        #expect(errCode(try c.request("STATUS nonsense")) == "not-found")
        #expect(errCode(try c.request("ACK INC-000001")) == "not-found")
        #expect(try c.request("QUIT") == #"OK {"bye":true}"#)
        try? c.send("PING\n")
        #expect(try c.readLineOrEOF() == nil)
        try await server.stop()
    }

    @Test(arguments: StoreBackend.allCases) func reportDuplicateConflictAndStatus(backend: StoreBackend) async throws {
        let server = try await TestServer(backend: backend)
        let c = try server.gateway("14320")
        let line = #"REPORT {"ref":"call-1","severity":"normal","forms":["physical","psychological"],"village":"V14320-03","children":1,"injured":true,"caller":"0900 000 001","summary":"MARKER-SUMMARY"}"#
        let receipt = try okObject(try c.request(line))
        #expect(receipt["duplicate"] == false)
        #expect(receipt["severity"] == "critical")  // an injured child raises it
        #expect(receipt["shelter"]?.objectValue?["kind"] == "health_facility")
        #expect(receipt["assigned"]?.objectValue?["id"] != nil)
        #expect(receipt["backups"]?.arrayValue?.count == 2)
        #expect(receipt.keys == ["incident", "ref", "duplicate", "severity", "assigned", "backups", "shelter", "ack_due", "attend_due", "callback"])
        #expect(receipt["callback"] == "unknown")  // the default
        let id = try #require(receipt["incident"]?.stringValue)
        // The same content in another key order: the original receipt, flagged duplicate.
        let reordered = #"REPORT {"summary":"MARKER-SUMMARY","caller":"0900 000 001","injured":true,"children":1,"village":"V14320-03","forms":["physical","psychological"],"severity":"normal","ref":"call-1"}"#
        var dup = try okObject(try c.request(reordered))
        #expect(dup["duplicate"] == true)
        dup["duplicate"] = false
        #expect(dup == receipt)
        #expect(errCode(try c.request(#"REPORT {"ref":"call-1","severity":"normal","forms":["physical"]}"#)) == "conflict")
        let status = try okObject(try c.request("STATUS \(id)"))
        #expect(status["state"] == "open")
        #expect(status["level"] == 0)
        #expect(status["review"] == false)
        #expect(status["assigned"] == receipt["assigned"])
        #expect(status["caller"] == "0900 000 001")
        #expect(status["history"]?.arrayValue?.first?.objectValue?["event"] == "reported")
        // Need to know: another commune's gateway cannot read the incident at all, nor act on it.
        let other = try server.gateway("14323")
        let foreign = try other.request("STATUS \(id)")
        #expect(errCode(foreign) == "forbidden")
        #expect(!foreign.contains("0900") && !foreign.contains("V14320") && !foreign.contains("physical"))
        #expect(errCode(try other.request("ACK \(id)")) == "forbidden")
        // A missing id is still not-found, so forbidden tells nothing but that the id exists.
        #expect(errCode(try other.request("STATUS INC-999999")) == "not-found")
        try await server.stop()
    }

    @Test(arguments: StoreBackend.allCases) func pipelinedReportsFromEightConnectionsAreReceiptedInOrderAndStored(backend: StoreBackend) async throws {
        let server = try await TestServer(inProcess: true, backend: backend)
        let connections = 8, perConnection = 500
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<connections {
                let commune = ["14320", "14323", "14326", "14329", "14332", "14335", "14338", "14341"][n]
                group.addTask {
                    let c = try server.gateway(commune)
                    var batch = ""
                    for i in 0..<perConnection { batch += "REPORT " + String(format: Self.report, "p\(n)-\(i)") + "\n" }
                    try c.send(batch)
                    for i in 0..<perConnection {
                        let receipt = try okObject(try c.readLine())
                        #expect(receipt["ref"] == .string("p\(n)-\(i)"))
                        #expect(receipt["duplicate"] == false)
                    }
                    // Every one is there.
                    for i in stride(from: 0, to: perConnection, by: 50) {
                        let again = try okObject(try c.request("REPORT " + String(format: Self.report, "p\(n)-\(i)")))
                        #expect(again["duplicate"] == true)
                    }
                }
            }
            try await group.waitForAll()
        }
        let stats = server.app.state.store.stats
        #expect(stats.reports >= connections * perConnection)
        // Group commit: fewer transactions than reports.
        #expect(stats.commits < stats.reports)
        try await server.stop()
    }

    @Test func halfClosedClientGetsEveryReply() async throws {
        let server = try await TestServer()
        let c = try server.gateway()
        var batch = ""
        for i in 0..<20 { batch += "REPORT " + String(format: Self.report, "h\(i)") + "\n" }
        try c.send(batch + "PING\n")
        c.shutdownWrite()
        for i in 0..<20 { #expect(try okObject(try c.readLine())["ref"] == .string("h\(i)")) }
        #expect(try c.readLine() == #"OK {"pong":true}"#)
        #expect(try c.readLineOrEOF() == nil)
        try await server.stop()
    }

    @Test(arguments: StoreBackend.allCases) func restartKeepsEveryReceiptedIncident(backend: StoreBackend) async throws {
        let folder = temporaryFolder()
        var server = try await TestServer(folder: folder, backend: backend)
        var receipts: [String: JSONValue] = [:]
        do {
            let c = try server.gateway()
            for i in 0..<30 {
                let r = try okObject(try c.request("REPORT " + String(format: Self.report, "keep-\(i)")))
                receipts["keep-\(i)"] = r["incident"]
            }
        }
        try await server.stop()
        server = try await TestServer(folder: folder, backend: backend)
        let c = try server.gateway()
        for i in 0..<30 {
            let r = try okObject(try c.request("REPORT " + String(format: Self.report, "keep-\(i)")))
            #expect(r["duplicate"] == true)
            #expect(r["incident"] == receipts["keep-\(i)"])
            let status = try okObject(try c.request("STATUS \(r["incident"]?.stringValue ?? "")"))
            #expect(status["ref"] == .string("keep-\(i)"))
        }
        try await server.stop()
    }

    @Test func fifthFailedAuthClosesTheConnection() async throws {
        let server = try await TestServer()
        let c = try server.client()
        _ = try c.readLine()
        try c.send(String(repeating: "AUTH HL-14320 wrong\n", count: 5) + "PING\n")
        for _ in 0..<5 { #expect(errCode(try c.readLine()) == "auth-failed") }
        #expect(try c.readLineOrEOF() == nil)
        try await server.stop()
    }
}
