import Foundation
import HotlineCore
import Testing

/// The operator socket's messages: what hotlinectl encodes the daemon decodes, and back.
@Suite struct ControlMessagesTests {
    @Test func requestsRoundTripAndAreCheckedIntoOperatorRequests() throws {
        var close = ControlRequest("close")
        close.incident = "INC-000001"
        close.offenderMeasures = ["stop_order"]
        close.victimSupport = ["counselling"]
        close.note = "ghi chú \"quoted\""
        #expect(ControlRequest.decode(Array(close.line)) == .success(close))
        #expect(String(decoding: close.line, as: UTF8.self).contains(#""offender_measures":["stop_order"]"#))
        #expect(ControlRequest.decode(Array(#"{"incident":"x"}"#.utf8)) == .failure(HLPError(.syntax, #"missing "cmd""#)))
        var stats = ControlRequest("stats")
        stats.year = 1999
        let directory = Directory(communes: [], villages: [], responders: [], hotlines: [])
        #expect(throws: HLPError.self) { try OperatorRequest(stats, directory: directory, now: Timestamp(seconds: 0)) }
        stats.year = 2021
        #expect(try OperatorRequest(stats, directory: directory, now: Timestamp(seconds: 0)) == .stats(year: 2021))
    }

    @Test func typedRepliesRoundTripThroughTheLine() throws {
        let status = ControlReply.Status(
            server: "hotline", startedAt: "2026-11-29T00:00:00Z", uptimeSeconds: 61, connections: ["HL-14320": 2],
            open: ["high": 1, "low": 0], overdue: ["high": 0, "low": 0], queueSeq: 7)
        let object = ControlReply.object(status)
        #expect(object["uptime_s"] == 61)
        #expect(object["queue_seq"] == 7)
        #expect(try ControlReply.decode(ControlReply.Status.self, from: object) == status)
        let failure = ControlReply.object(ControlReply.Failure(.notFound, "no incident INC-000009"))
        #expect(failure.jsonText == #"{"code":"not-found","error":"no incident INC-000009"}"#)
        let backup = ControlReply.Backup(path: "/var/lib/hotline/b.sqlite", incidents: 3, queueSeq: 9, bytes: 4096)
        #expect(try ControlReply.decode(ControlReply.Backup.self, from: ControlReply.object(backup)) == backup)
    }
}
