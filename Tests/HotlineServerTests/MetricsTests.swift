import HotlineHarness
import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineLineClient
import HotlineServer
import Testing

struct MetricsTests {
    /// GET /metrics over a plain socket.
    static func scrape(_ port: Int) throws -> String {
        let c = try LineClient(port: port)
        try c.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        var lines: [String] = []
        while let line = try c.readLineOrEOF() { lines.append(line) }
        return lines.joined(separator: "\n")
    }

    @Test func prometheusEndpointCountsWithoutPersonalData() async throws {
        let server = try await TestServer(inProcess: true) {
            $0.metricsListen = ("127.0.0.1", 0)
        }
        let metricsPort = try await #require(server.app.metricsServer).listeningPort()
        let c = try server.gateway()
        _ = try okObject(try c.request(#"REPORT {"ref":"m1","severity":"high","forms":["physical"],"children":1,"caller":"MARKER-CALLER","summary":"MARKER-SUMMARY"}"#))
        _ = try okObject(try c.request(#"REPORT {"ref":"m1","severity":"high","forms":["physical"],"children":1,"caller":"MARKER-CALLER","summary":"MARKER-SUMMARY"}"#))
        #expect(errCode(try c.request(#"REPORT {"ref":"m1","severity":"low","forms":["physical"]}"#)) == "conflict")
        // The queue writer syncs the intake record on its own thread: wait until it has.
        var text = ""
        _ = await Wait.until {
            text = try Self.scrape(metricsPort)
            return text.contains("hotline_escalations_total") && text.contains("hotline_queue_lag_records 0")
        }
        #expect(text.hasPrefix("HTTP/1.1 200 OK"))
        #expect(text.contains(#"hotline_reports_total{outcome="stored"} 1"#))
        #expect(text.contains(#"hotline_reports_total{outcome="duplicate"} 1"#))
        #expect(text.contains(#"hotline_reports_total{outcome="refused"} 1"#))
        #expect(text.contains(#"hotline_open_incidents{severity="high"} 1"#))
        #expect(text.contains("hotline_connections 1"))
        #expect(text.contains("hotline_receipt_seconds_bucket"))
        #expect(text.contains("hotline_commit_batch_size_bucket"))
        #expect(text.contains(#"hotline_escalations_total{level="0",reason="child_protection"} 1"#))
        #expect(text.contains("hotline_queue_lag_records 0"))
        #expect(!text.contains("MARKER"))
        let notFound = try LineClient(port: metricsPort)
        try notFound.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(try notFound.readLine().hasPrefix("HTTP/1.1 404"))
        try await server.stop()
    }

    @Test func metricsMustListenOnLoopback() throws {
        let path = temporaryFolder() + "/m.toml"
        try "[metrics]\nlisten = \"0.0.0.0:9300\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try Configuration.load(path: path) }
    }
}
