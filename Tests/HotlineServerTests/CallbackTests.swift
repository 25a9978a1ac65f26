import HotlineHarness
import Foundation
import HotlineCore
import Testing

/// hotline-protocol(7) `callback`: whether a responder may phone the caller back. Stored, in the
/// receipt, STATUS, every queue record, `hotlinectl show`, `incidents` and `tail`.
@Suite(.serialized)
struct CallbackTests {
    @Test func theCallbackRuleTravelsWithTheIncident() throws {
        let daemon = try DaemonProcess { c in
            c.deadlines.windows[.critical] = DeadlineWindows(ack: 1, attend: 3600)
        }
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let c = try daemon.gateway("14638")
        #expect(errCode(try c.request(#"REPORT {"ref":"cb-0","severity":"low","forms":["economic"],"callback":"maybe"}"#)) == "invalid")
        let receipt = try okObject(
            try c.request(#"REPORT {"ref":"cb-1","severity":"critical","forms":["physical"],"callback":"unsafe","caller":"0912"}"#))
        #expect(receipt["callback"] == "unsafe")
        let id = try #require(receipt["incident"]?.stringValue)
        #expect(try okObject(try c.request("STATUS \(id)"))["callback"] == "unsafe")
        let safe = try okObject(try c.request(#"REPORT {"ref":"cb-2","severity":"low","forms":["economic"],"callback":"safe"}"#))
        #expect(safe["callback"] == "safe")
        // Every queue record of the incident carries it: the police record at intake and the
        // escalation when nobody acknowledges within the second.
        let queue = daemon.folder + "/data/escalations.jsonl"
        var records: [JSONObject] = []
        Wait.until(seconds: 20) {
            records = (try? readQueue(queue).records.filter { $0["incident"] == .string(id) }) ?? []
            return records.contains { $0["reason"] == "ack_overdue" }
        }
        #expect(records.count >= 2)
        #expect(records.allSatisfy { $0["callback"] == "unsafe" })
        // The operator sees it: show, incidents (a column), tail (flagged).
        let (_, show) = try daemon.hotlinectl(["show", id])
        #expect(show.contains("callback: unsafe"))
        let (_, list) = try daemon.hotlinectl(["incidents"])
        #expect(list.contains("CALLBACK"))
        #expect(list.split(separator: "\n").contains { $0.hasPrefix(id) && $0.contains("UNSAFE") })
        let (_, tail) = try daemon.hotlinectl(["tail", "--no-follow"])
        #expect(tail.contains("[CALLBACK UNSAFE: do not phone the caller]"))
    }
}

