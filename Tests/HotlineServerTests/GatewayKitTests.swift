import HotlineHarness
import Foundation
import GRDB
import HotlineClient
import HotlineCore
import HotlineLineClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The gateway kit end to end: the real `hotline-gateway` and the real `hotlined`.
@Suite(.serialized)
struct GatewayKitTests {
    static func gatewayConfig(folder: String, port: Int, gateway: String = "HL-14638") throws -> String {
        try "demo-\(gateway)\n".write(toFile: folder + "/gateway.token", atomically: true, encoding: .utf8)
        let path = folder + "/gateway.toml"
        try """
            [server]
            host = "127.0.0.1"
            port = \(port)
            [gateway]
            id = "\(gateway)"
            token_file = "gateway.token"
            [spool]
            path = "spool.sqlite"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func reportsTakenWhileTheDaemonIsDownAreDeliveredExactlyOnce() throws {
        let port = DaemonProcess.freePort()
        let folder = temporaryFolder()
        let config = try Self.gatewayConfig(folder: folder, port: port)
        // The daemon is down: the call is taken and spooled.
        let (downCode, down) = try DaemonProcess.run(
            "hotline-gateway", ["send", "--config", config, "--severity", "high", "--form", "physical", "--village", "V14638-02", "--caller", "0900"])
        #expect(downCode == 75, "\(down)")
        #expect(down.hasPrefix("spooled: "))
        let (_, stdinDown) = try DaemonProcess.run(
            "hotline-gateway", ["send", "--config", config, "--stdin"],
            stdin: #"{"ref":"sms-1","severity":"normal","forms":["psychological"]}"#)
        #expect(stdinDown.hasPrefix("spooled: sms-1"))
        let (_, pending) = try DaemonProcess.run("hotline-gateway", ["pending", "--config", config])
        #expect(pending.hasSuffix("2 pending\n"))
        // reported_at is the time of the call, kept in the spool.
        let spool = try Spool(path: folder + "/spool.sqlite")
        let calledAt = try #require(spool.pending().first?.body["reported_at"]?.stringValue)

        let daemon = try DaemonProcess(port: port)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let (flushCode, flushed) = try DaemonProcess.run("hotline-gateway", ["flush", "--config", config])
        #expect(flushCode == 0)
        #expect(flushed == "delivered 2, refused 0, still pending 0\n")
        #expect(try DaemonProcess.run("hotline-gateway", ["pending", "--config", config]).output.hasSuffix("0 pending\n"))
        // Exactly once: a second flush sends nothing; the daemon has the two incidents.
        #expect(try DaemonProcess.run("hotline-gateway", ["flush", "--config", config]).output == "delivered 0, refused 0, still pending 0\n")
        let c = try LineClient(port: daemon.port)
        _ = try c.readLine()
        _ = try c.request("AUTH HL-14638 demo-HL-14638")
        let first = try okObject(try c.request("STATUS INC-000001"))
        #expect(first["reported_at"] == .string(calledAt))
        #expect(first["caller"] == "0900")
        #expect(errCode(try c.request("STATUS INC-000003")) == "not-found")

        // With the daemon up, send prints the receipt.
        let (upCode, up) = try DaemonProcess.run("hotline-gateway", ["send", "--config", config, "--severity", "low", "--form", "economic"])
        #expect(upCode == 0)
        #expect(try JSONParser.parse(up.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue?["incident"] == "INC-000003")
        // Refused reports are not retried.
        let (badCode, bad) = try DaemonProcess.run("hotline-gateway", ["send", "--config", config, "--severity", "urgent", "--form", "physical"])
        #expect(badCode == 65)
        #expect(bad.contains("invalid"))
        // Case verbs through the kit.
        let (ackCode, ack) = try DaemonProcess.run("hotline-gateway", ["ack", "--config", config, "INC-000003"])
        #expect(ackCode == 0)
        #expect(ack.contains(#""state":"acknowledged""#))
        let (_, status) = try DaemonProcess.run("hotline-gateway", ["status", "--config", config, "INC-000003"])
        #expect(status.contains(#""state":"acknowledged""#))
        let (closeCode, _) = try DaemonProcess.run(
            "hotline-gateway", ["close", "--config", config, "INC-000003", #"{"offender_measures":["none"],"victim_support":["none"]}"#])
        #expect(closeCode == 0)
        let (againCode, again) = try DaemonProcess.run(
            "hotline-gateway", ["close", "--config", config, "INC-000003", #"{"offender_measures":["none"],"victim_support":["none"]}"#])
        #expect(againCode == 65)
        #expect(again.contains("conflict"))
    }

    @Test func aRefusedOrUnreadableTokenKeepsTheCallsUntilTheTokenWorks() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let folder = temporaryFolder()
        let config = try Self.gatewayConfig(folder: folder, port: daemon.port)
        let tokenFile = folder + "/gateway.token"
        // A report an earlier version marked refused for a refused token: pending again.
        do {
            _ = try Spool(path: folder + "/spool.sqlite")
            try DatabaseQueue(path: folder + "/spool.sqlite").write { db in
                try db.execute(
                    sql: "INSERT INTO spool (ref, body, state, error) VALUES ('wt-0', ?, 'refused', 'auth-failed: wrong gateway or token')",
                    arguments: [#"{"ref":"wt-0","severity":"normal","forms":["economic"],"reported_at":"2026-11-29T01:00:00Z"}"#])
            }
        }
        // A wrong (or rotated) token: the call is kept, the gateway says what to fix, exit 77.
        try "wrong-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let (wrongCode, wrong) = try DaemonProcess.run(
            "hotline-gateway", ["send", "--config", config, "--ref", "wt-1", "--severity", "high", "--form", "physical"])
        #expect(wrongCode == 77, "\(wrong)")
        #expect(wrong.contains("saved, not sent: wt-1 waits for a valid token"))
        #expect(wrong.contains("refused the token of HL-14638 (auth-failed"))
        // No token file: the same, naming the file.
        try FileManager.default.removeItem(atPath: tokenFile)
        let (missingCode, missing) = try DaemonProcess.run(
            "hotline-gateway", ["send", "--config", config, "--ref", "wt-2", "--severity", "low", "--form", "economic"])
        #expect(missingCode == 77, "\(missing)")
        #expect(missing.contains("the token file \(tokenFile) cannot be read: no such file"))
        let (pendingCode, pending) = try DaemonProcess.run("hotline-gateway", ["pending", "--config", config])
        #expect(pendingCode == 0)
        #expect(pending.hasSuffix("3 pending\n"), "\(pending)")
        #expect(pending.contains("wt-1") && pending.contains("waiting for a valid token"))
        let (flushCode, flushed) = try DaemonProcess.run("hotline-gateway", ["flush", "--config", config])
        #expect(flushCode == 77)
        #expect(flushed.contains("still pending 3"))
        // The token is fixed: every call taken meanwhile is delivered, once.
        try "demo-HL-14638\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let (okCode, ok) = try DaemonProcess.run("hotline-gateway", ["flush", "--config", config])
        #expect(okCode == 0, "\(ok)")
        #expect(ok == "delivered 3, refused 0, still pending 0\n")
        let spool = try Spool(path: folder + "/spool.sqlite")
        for ref in ["wt-0", "wt-1", "wt-2"] {
            let entry = try #require(try spool.entry(ref: ref))
            #expect(entry.state == "delivered")
            #expect(entry.receipt?["duplicate"] == false)
        }
    }

    @Test func sixteenConcurrentSendersDeliverEveryReportExactlyOnce() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let folder = temporaryFolder()
        let config = try Self.gatewayConfig(folder: folder, port: daemon.port)
        // A telephone system starts one process per call: 16 at once, 20 calls each.
        let codes = ExitCodes()
        DispatchQueue.concurrentPerform(iterations: 16) { p in
            for i in 0..<20 {
                let code = (try? DaemonProcess.run(
                    "hotline-gateway",
                    ["send", "--config", config, "--ref", "c\(p)-\(i)", "--severity", "normal", "--form", "psychological"]
                ).status) ?? -1
                codes.append(code)
            }
        }
        let all = codes.values
        #expect(all.count == 320)
        #expect(all.allSatisfy { $0 == 0 || $0 == 75 }, "\(Dictionary(grouping: all, by: { $0 }).mapValues(\.count))")
        let (flushCode, flushed) = try DaemonProcess.run("hotline-gateway", ["flush", "--config", config])
        #expect(flushCode == 0, "\(flushed)")
        let spool = try Spool(path: folder + "/spool.sqlite")
        let rows = try spool.entries(where: "1")
        #expect(rows.count == 320)
        #expect(rows.allSatisfy { $0.state == "delivered" })
        // Exactly once at the daemon: 320 incidents, one per ref, none created twice.
        let (listCode, list) = try daemon.hotlinectl(["--json", "incidents", "--commune", "14638", "--limit", "10000"])
        #expect(listCode == 0)
        let incidents = try #require(try JSONParser.parse(list).objectValue?["incidents"]?.arrayValue)
        #expect(incidents.count == 320)
        #expect(Set(rows.compactMap { $0.receipt?["incident"]?.stringValue }).count == 320)
    }

    @Test func offlineTheGatewaySaysWhomToCallAndLaterWhomTheProvinceChose() throws {
        let port = DaemonProcess.freePort()
        let folder = temporaryFolder()
        let config = try Self.gatewayConfig(folder: folder, port: port)
        // The gateway's copy of the directory lacks the nearest group of village 2 (an old copy):
        // offline it names another responder than the province will.
        try FileManager.default.copyItem(atPath: Repository.sampleDirectory, toPath: folder + "/directory")
        let responders = folder + "/directory/responders.csv"
        let kept = try String(contentsOfFile: responders, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("PG-14638-02,") }.joined(separator: "\n") + "\n"
        try kept.write(toFile: responders, atomically: true, encoding: .utf8)
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n[directory]\npath = \"directory\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let (code, out) = try DaemonProcess.run(
            "hotline-gateway",
            ["send", "--config", config, "--ref", "off-1", "--severity", "critical", "--form", "physical", "--village", "V14638-02"])
        #expect(code == 75, "\(out)")
        #expect(out.contains("NOT YET REPORTED TO THE PROVINCE"))
        #expect(out.contains("CALL NOW: "))
        #expect(out.contains("Shelter: Trạm Y tế xã Ân Hòa") && out.contains("(free places not known)"))
        #expect(out.contains("Acknowledge by: ") && (out.contains(" today, ") || out.contains(" tomorrow, ")))
        let spool = try Spool(path: folder + "/spool.sqlite")
        let offline = try #require(try spool.entry(ref: "off-1")?.localAssigned)
        #expect(offline != "PG-14638-02")
        // The province comes back: the report is delivered, and the different choice is shown.
        let daemon = try DaemonProcess(port: port)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let (flushCode, flushed) = try DaemonProcess.run("hotline-gateway", ["flush", "--config", config])
        #expect(flushCode == 0, "\(flushed)")
        let receipt = try #require(try spool.entry(ref: "off-1")?.receipt)
        let provinceChoice = try #require(receipt["assigned"]?.objectValue?["id"]?.stringValue)
        #expect(provinceChoice != offline)
        #expect(flushed.contains("province assigned \(receipt["incident"]!.stringValue!) (ref off-1) to \(provinceChoice)"))
        #expect(flushed.contains("not \(offline) as shown offline"))
        #expect(try DaemonProcess.run("hotline-gateway", ["pending", "--config", config]).output.contains("to \(provinceChoice)"))
    }

    @Test(arguments: [false, true])
    func theGatewayOverTLSWithAndWithoutItsOwnCertificate(mutual: Bool) async throws {
        let server = try await TestServer(configure: TLSTests.tls(clientCA: mutual))
        defer { Task { try? await server.stop() } }
        let tlsPort = try await server.tlsPort()
        let folder = temporaryFolder()
        var config = try Self.gatewayConfig(folder: folder, port: tlsPort, gateway: "HL-14320")
        var tls = "\n[tls]\nca = \"\(TLSFixture.path("ca.pem"))\"\nserver_name = \"localhost\"\n"
        if mutual {
            tls += "certificate = \"\(TLSFixture.path("client-HL-14320.pem"))\"\nkey = \"\(TLSFixture.path("client-HL-14320.key"))\"\n"
        }
        try (try String(contentsOfFile: config, encoding: .utf8) + tls).write(toFile: config, atomically: true, encoding: .utf8)
        let (code, out) = try DaemonProcess.run(
            "hotline-gateway", ["send", "--config", config, "--ref", "tls-\(mutual)", "--severity", "high", "--form", "physical"])
        #expect(code == 0, "\(out)")
        let receipt = try #require(try JSONParser.parse(out.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue)
        let id = try #require(receipt["incident"]?.stringValue)
        let (statusCode, status) = try DaemonProcess.run("hotline-gateway", ["status", "--config", config, id])
        #expect(statusCode == 0, "\(status)")
        #expect(status.contains(#""state":"open""#))
        if mutual {
            // Another gateway's token with this certificate: refused, and the call is kept (77).
            let other = folder + "/other.toml"
            try (try String(contentsOfFile: config, encoding: .utf8)).replacingOccurrences(of: #"id = "HL-14320""#, with: #"id = "HL-14323""#)
                .write(toFile: other, atomically: true, encoding: .utf8)
            try "demo-HL-14323\n".write(toFile: folder + "/gateway.token", atomically: true, encoding: .utf8)
            let (otherCode, otherOut) = try DaemonProcess.run(
                "hotline-gateway", ["send", "--config", other, "--ref", "tls-other", "--severity", "low", "--form", "economic"])
            #expect(otherCode == 77, "\(otherOut)")
            #expect(otherOut.contains("auth-failed"))
            // A certificate file that cannot be loaded is the gateway's to fix: 77, saying so.
            let broken = folder + "/broken.toml"
            try (try String(contentsOfFile: config, encoding: .utf8)).replacingOccurrences(of: "client-HL-14320.pem", with: "missing.pem")
                .write(toFile: broken, atomically: true, encoding: .utf8)
            let (brokenCode, brokenOut) = try DaemonProcess.run(
                "hotline-gateway", ["send", "--config", broken, "--ref", "tls-broken", "--severity", "low", "--form", "economic"])
            #expect(brokenCode == 77, "\(brokenOut)")
            #expect(brokenOut.contains("cannot set up TLS from"))
        } else {
            // A server the gateway's CA did not sign: no delivery, the call stays spooled.
            let rogue = folder + "/rogue.toml"
            try (try String(contentsOfFile: config, encoding: .utf8))
                .replacingOccurrences(of: TLSFixture.path("ca.pem"), with: TLSFixture.path("rogue-HL-14320.pem"))
                .write(toFile: rogue, atomically: true, encoding: .utf8)
            let (rogueCode, rogueOut) = try DaemonProcess.run(
                "hotline-gateway", ["send", "--config", rogue, "--ref", "tls-rogue", "--severity", "low", "--form", "economic"])
            #expect(rogueCode == 75, "\(rogueOut)")
        }
        try await server.stop()
    }

    @Test func aGatewayKilledBeforeStoringTheReceiptResendsAndGetsTheDuplicate() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let folder = temporaryFolder()
        let config = try Self.gatewayConfig(folder: folder, port: daemon.port)
        // The report reached the daemon, but the gateway died before storing the receipt: it is
        // still pending in the spool.
        let spool = try Spool(path: folder + "/spool.sqlite")
        let body = try spool.add(["severity": "critical", "forms": ["sexual"], "caller": "0911"])
        let c = try LineClient(port: daemon.port)
        _ = try c.readLine()
        _ = try c.request("AUTH HL-14638 demo-HL-14638")
        let original = try okObject(try c.request("REPORT " + body.jsonText))
        #expect(original["duplicate"] == false)
        // On start it flushes: the same receipt, flagged duplicate; nothing new is created.
        let (code, out) = try DaemonProcess.run("hotline-gateway", ["flush", "--config", config])
        #expect(code == 0, "\(out)")
        let entry = try #require(try spool.entry(ref: body["ref"]!.stringValue!))
        #expect(entry.state == "delivered")
        #expect(entry.receipt?["duplicate"] == true)
        #expect(entry.receipt?["incident"] == original["incident"])
        #expect(errCode(try c.request("STATUS INC-000002")) == "not-found")
    }

    /// `--json`: standard output alone is exactly one JSON object (questions and warnings go to
    /// standard error), with the text form's exit code.
    static func gatewayJSON(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, object: JSONObject) {
        let binary = (Repository.hotlined as NSString).deletingLastPathComponent + "/hotline-gateway"
        let quoted = ([binary] + arguments + ["--json"]).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let (status, out) = try DaemonProcess.run(command: ["/bin/sh", "-c", quoted.joined(separator: " ") + " 2>/dev/null"], stdin: stdin)
        #expect(out.hasSuffix("\n") && out.dropLast().contains("\n") == false, "one line: \(out)")
        let object = try #require(try JSONParser.parse(Array(out.utf8.dropLast())).objectValue, "\(out)")
        return (status, object)
    }

    @Test func jsonOutputOfSendNewPendingFlushAndStatus() throws {
        let port = DaemonProcess.freePort()
        let folder = temporaryFolder()
        let config = try Self.gatewayConfig(folder: folder, port: port)
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n[directory]\npath = \"\(Repository.sampleDirectory)\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let utc = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/#
        // The province is down: spooled, with the gateway's own triage.
        let (downCode, down) = try Self.gatewayJSON(
            ["send", "--config", config, "--ref", "j-1", "--severity", "high", "--form", "physical", "--village", "V14638-02"])
        #expect(downCode == 75)
        #expect(down["state"] == "spooled")
        #expect(down["ref"] == "j-1")
        #expect(down["receipt"] == .null)
        #expect(down["error"]?.stringValue?.isEmpty == false)
        #expect(down["offline"]?.objectValue?["assigned"]?.objectValue?["id"]?.stringValue?.hasPrefix("PG-14638-") == true
            || down["offline"]?.objectValue?["assigned"]?.objectValue?["id"]?.stringValue?.hasPrefix("TA-14638-") == true, "\(down)")
        #expect(try #require(down["offline"]?.objectValue?["ack_due"]?.stringValue).wholeMatch(of: utc) != nil)
        let (pendingCode, pending) = try Self.gatewayJSON(["pending", "--config", config])
        #expect(pendingCode == 0)
        #expect(pending["count"] == 1)
        let first = try #require(pending["pending"]?.arrayValue?.first?.objectValue)
        #expect(first["ref"] == "j-1")
        #expect(first["severity"] == "high")
        #expect(try #require(first["reported_at"]?.stringValue).wholeMatch(of: utc) != nil)
        #expect(pending["changed_assignments"] == .array([]))

        let daemon = try DaemonProcess(port: port)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let (flushCode, flushed) = try Self.gatewayJSON(["flush", "--config", config])
        #expect(flushCode == 0)
        #expect(flushed["delivered"] == 1 && flushed["refused"] == 0 && flushed["pending"] == 0, "\(flushed)")
        #expect(flushed["credentials"] == .null)
        // Delivered: the daemon's receipt as it came, UTC times.
        let (upCode, up) = try Self.gatewayJSON(["send", "--config", config, "--ref", "j-2", "--severity", "low", "--form", "economic"])
        #expect(upCode == 0)
        #expect(up["state"] == "delivered" && up["error"] == .null && up["offline"] == .null)
        let receipt = try #require(up["receipt"]?.objectValue)
        #expect(receipt["incident"] == "INC-000002")
        #expect(try #require(receipt["ack_due"]?.stringValue).wholeMatch(of: utc) != nil)
        // Refused by the daemon: its reason, exit 65.
        let (badCode, bad) = try Self.gatewayJSON(["send", "--config", config, "--severity", "urgent", "--form", "physical"])
        #expect(badCode == 65)
        #expect(bad["state"] == "refused")
        #expect(bad["error"]?.stringValue?.contains("severity") == true)
        // A call taken interactively: the questions on standard error, the object on standard output.
        let answers = ["4", "3", "", "1", "0", "k", "k", "k", "k", "", "3", ""]
        let (newCode, taken) = try Self.gatewayJSON(["new", "--config", config], stdin: answers.joined(separator: "\n") + "\n")
        #expect(newCode == 0, "\(taken)")
        #expect(taken["state"] == "delivered")
        #expect(taken["receipt"]?.objectValue?["incident"] == "INC-000003", "\(taken)")
        // STATUS: the daemon's object; an unknown incident is refused with its code.
        let (statusCode, status) = try Self.gatewayJSON(["status", "--config", config, "INC-000001"])
        #expect(statusCode == 0)
        #expect(status["incident"] == "INC-000001" && status["ref"] == "j-1")
        #expect(try #require(status["received_at"]?.stringValue).wholeMatch(of: utc) != nil)
        let (missingCode, missing) = try Self.gatewayJSON(["status", "--config", config, "INC-999999"])
        #expect(missingCode == 65)
        #expect(missing["state"] == "refused" && missing["code"] == "not-found", "\(missing)")
    }

    @Test func aCallTakerSessionThroughAPseudoTerminal() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let folder = temporaryFolder()
        let config = try Self.gatewayConfig(folder: folder, port: daemon.port)
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n[directory]\npath = \"\(Repository.sampleDirectory)\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        // Answers as a call-taker types them: severity, forms, village without diacritics, then
        // a choice among the matches, victims, children, injured, weapon, shelter, vulnerable,
        // caller, summary.
        let answers = ["3", "1, tinh than", "thon 1", "1", "2", "1", "c", "k", "k", "k", "0900 000 000", "2", "hàng xóm nghe tiếng la hét"]
        let binary = (Repository.hotlined as NSString).deletingLastPathComponent + "/hotline-gateway"
        let (code, screen) = try DaemonProcess.run(
            "/usr/bin/script", ["-qec", "\(binary) new --config \(config)", "/dev/null"],
            stdin: answers.joined(separator: "\n") + "\n")
        #expect(code == 0, "\(screen)")
        #expect(screen.contains("Mức độ? [1) nguy cấp  2) cao  3) trung bình  4) thấp]"))
        #expect(screen.contains("Thôn nào? [1) Thôn 1  2) Thôn 10"))
        #expect(screen.contains("Đã ghi nhận: INC-000001 (mức nguy cấp)"))  // an injured child raises it
        #expect(screen.contains("GỌI NGAY: Nhóm PCBLGĐ"))
        #expect(screen.contains("Dự phòng 2: "))
        #expect(screen.contains("Nơi tạm lánh: Trạm Y tế xã Ân Hòa"))
        // The caller said a call back is not safe: shown before whom to call.
        #expect(screen.contains("Gọi lại cho người gọi có an toàn không? [1) an toàn  2) KHÔNG an toàn  3) không rõ]"))
        #expect(screen.contains("!!! KHÔNG GỌI LẠI CHO NGƯỜI GỌI"))
        // Deadlines in the hotline's local time (UTC+7), not UTC.
        #expect(screen.contains(" hôm nay, ") || screen.contains(" ngày mai, "), "\(screen)")
        let c = try LineClient(port: daemon.port)
        _ = try c.readLine()
        _ = try c.request("AUTH HL-14638 demo-HL-14638")
        let status = try okObject(try c.request("STATUS INC-000001"))
        // The acknowledgement deadline is shown as its UTC+7 wall-clock time (whatever the hour
        // the test runs at: the UTC hour is always 7 hours off, so it cannot match by chance).
        let ackText = try #require(status["ack_due"]?.stringValue)
        let ackDue = try #require(Timestamp(rfc3339: ackText))
        let local = ackDue.seconds + 7 * 3600
        let hhmm = String(format: "%02d:%02d", Int((local / 3600) % 24), Int((local / 60) % 60))
        #expect(screen.contains("Hạn tiếp nhận: \(hhmm) "), "\(screen)")
        #expect(status["village"] == "V14638-01")
        #expect(status["forms"] == ["physical", "psychological"])
        #expect(status["summary"] == "hàng xóm nghe tiếng la hét")
        #expect(status["children"] == 1)
        #expect(status["callback"] == "unsafe")
    }

    /// A real SIGKILL of the gateway between send and receipt: a relay in front of the daemon
    /// passes the REPORT on but holds the receipt back; the gateway is killed while it waits;
    /// started again (flush against the daemon), it resends and gets the duplicate receipt.
    @Test func aGatewaySIGKILLedBetweenSendAndReceiptResendsOnStart() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let relayPort = DaemonProcess.freePort()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(relayPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(listener, 4)
        defer { close(listener) }
        let reportStored = DispatchSemaphore(value: 0)
        let daemonPort = daemon.port
        Thread.detachNewThread {
            let fd = accept(listener, nil, nil)
            guard fd >= 0, let upstream = try? LineClient(port: daemonPort), (try? upstream.readLine()) != nil else { return }
            func write(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            write("HLP/1 relay ready\n")
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                buffer += chunk[..<n]
                while let lf = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[..<lf], as: UTF8.self)
                    buffer.removeFirst(lf + 1)
                    guard let reply = try? upstream.request(line) else { return }
                    if line.hasPrefix("REPORT ") {
                        reportStored.signal()  // stored by the daemon; the receipt is held back
                    } else {
                        write(reply + "\n")
                    }
                }
            }
            close(fd)
        }
        let folder = temporaryFolder()
        let relayConfig = try Self.gatewayConfig(folder: folder, port: relayPort)
        let gateway = Process()
        gateway.executableURL = URL(fileURLWithPath: (Repository.hotlined as NSString).deletingLastPathComponent + "/hotline-gateway")
        gateway.arguments = ["send", "--config", relayConfig, "--severity", "high", "--form", "physical", "--caller", "0922"]
        gateway.standardOutput = FileHandle.nullDevice
        try gateway.run()
        #expect(reportStored.wait(timeout: .now() + 20) == .success)
        kill(gateway.processIdentifier, SIGKILL)
        gateway.waitUntilExit()
        #expect(gateway.terminationReason == .uncaughtSignal)
        // Started again, now reaching the daemon directly: the spool still holds the report.
        let direct = try Self.gatewayConfig(folder: folder, port: daemon.port)
        #expect(try DaemonProcess.run("hotline-gateway", ["pending", "--config", direct]).output.hasSuffix("1 pending\n"))
        let (code, out) = try DaemonProcess.run("hotline-gateway", ["flush", "--config", direct])
        #expect(code == 0, "\(out)")
        let spool = try Spool(path: folder + "/spool.sqlite")
        let entry = try #require(try spool.entries(where: "1").first)
        #expect(entry.state == "delivered")
        #expect(entry.receipt?["duplicate"] == true)
        #expect(entry.receipt?["incident"] == "INC-000001")
    }
}

/// Exit codes collected from many threads.
final class ExitCodes: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int32] = []
    func append(_ v: Int32) { lock.withLock { items.append(v) } }
    var values: [Int32] { lock.withLock { items } }
}
