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
        let object = status.object
        #expect(object["uptime_s"] == 61)
        #expect(object["queue_seq"] == 7)
        #expect(try ControlReply.Status(object: object) == status)
        let failure = ControlReply.Failure(.notFound, "no incident INC-000009").object
        #expect(failure.jsonText == #"{"code":"not-found","error":"no incident INC-000009"}"#)
        let backup = ControlReply.Backup(path: "/var/lib/hotline/b.sqlite", incidents: 3, queueSeq: 9, bytes: 4096)
        #expect(try ControlReply.Backup(object: backup.object) == backup)
    }

    /// One JSON codec both ways (the core's parser and writer, no Foundation coder): the wire's
    /// errors for a member missing or of the wrong type, null as absent, unknown members ignored,
    /// and the line's keys in order.
    @Test func theControlLineIsReadAndWrittenByTheCoresCodec() throws {
        func refusal(_ line: String) -> String? {
            if case let .failure(error) = ControlRequest.decode(Array(line.utf8)) { return error.text }
            return nil
        }
        #expect(refusal(#"{"cmd":"incidents","limit":"5"}"#) == #"field "limit" has the wrong type"#)
        #expect(refusal(#"{"cmd":"incidents","limit":2.5}"#) == #"field "limit" has the wrong type"#)
        #expect(refusal(#"{"cmd":"close","offender_measures":["a",1]}"#) == #"field "offender_measures" has the wrong type"#)
        #expect(refusal(#"{"cmd":7}"#) == #"field "cmd" has the wrong type"#)
        #expect(refusal(#"["cmd"]"#) == "the request is not a JSON object")
        #expect(refusal(#"{"cmd":"status","cmd":"reload"}"#) == "the request is not a JSON object")
        #expect(refusal("{") == "the request is not a JSON object")
        var incidents = ControlRequest("incidents")
        incidents.open = true
        incidents.limit = 5
        #expect(ControlRequest.decode(Array(#"{"limit":5,"open":true,"commune":null,"cmd":"incidents","x":[1]}"#.utf8)) == .success(incidents))
        #expect(String(decoding: incidents.line, as: UTF8.self) == #"{"cmd":"incidents","limit":5,"open":true}"#)
        // A typed answer that is not what it should be is an error, not a guess.
        #expect(throws: HLPError.self) { try ControlReply.Backup(object: ["path": "/x", "incidents": 1]) }
        #expect(throws: HLPError.self) {
            try ControlReply.Reloaded(object: ["reloaded": "yes"])
        }
        let status = ControlReply.Status(
            server: "h", startedAt: "t", uptimeSeconds: 1, connections: ["b": 1, "a": 2], open: [:], overdue: [:], queueSeq: 0)
        #expect(
            status.object.jsonText
                == #"{"connections":{"a":2,"b":1},"open":{},"overdue":{},"queue_seq":0,"server":"h","started_at":"t","uptime_s":1}"#)
    }
}
