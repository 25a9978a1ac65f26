import HotlineHarness
import Foundation
import HotlineCore
import HotlineLineClient
import Testing

/// The operator CLI, the real `hotlinectl` binary against a real daemon.
@Suite(.serialized)
struct OperationsTests {
    @Test(arguments: StoreBackend.allCases) func annualReportPrintsTheProvincesFigures(backend: StoreBackend) throws {
        let daemon = try DaemonProcess(backend: backend)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        var gateways: [String: LineClient] = [:]
        for commune in ["14320", "14638", "14425"] {
            let c = try LineClient(port: daemon.port)
            _ = try c.readLine()
            _ = try c.request("AUTH HL-\(commune) demo-HL-\(commune)")
            gateways[commune] = c
        }
        // 37 incidents of 2021 with the province's outcome mix.
        var measures: [[String]] = Array(repeating: ["community_criticism"], count: 30)
        measures += Array(repeating: ["administrative_fine"], count: 3)
        measures += Array(repeating: ["behaviour_education", "administrative_fine"], count: 2)
        measures += Array(repeating: ["criminal_prosecution"], count: 2)
        var support: [[String]] = Array(repeating: ["counselling", "post_violence_care"], count: 6)
        support += Array(repeating: ["counselling", "vocational_training"], count: 2)
        support += Array(repeating: ["counselling"], count: 25)
        support += Array(repeating: ["none"], count: 4)
        for i in 0..<37 {
            let commune = ["14320", "14638", "14425"][i % 3]
            let c = gateways[commune]!
            let month = 1 + i % 12
            let r = try okObject(try c.request(
                #"REPORT {"ref":"y2021-\#(i)","severity":"normal","forms":["\#(i % 4 == 0 ? "economic" : "physical")"],"reported_at":"2021-\#(month < 10 ? "0" : "")\#(month)-15T10:00:00+07:00"}"#))
            let id = r["incident"]!.stringValue!
            let m = measures[i].map { "\"\($0)\"" }.joined(separator: ",")
            let s = support[i].map { "\"\($0)\"" }.joined(separator: ",")
            _ = try okObject(try c.request(#"CLOSE \#(id) {"offender_measures":[\#(m)],"victim_support":[\#(s)]}"#))
        }
        // One more, of 2022, must not count.
        _ = try okObject(try gateways["14320"]!.request(#"REPORT {"ref":"y2022","severity":"low","forms":["sexual"],"reported_at":"2022-01-01T00:30:00+07:00"}"#))

        let (status, json) = try daemon.hotlinectl(["stats", "--year", "2021", "--json"])
        #expect(status == 0, "\(json)")
        let o = try #require(try JSONParser.parse(json).objectValue)
        #expect(o["year"] == 2021)
        #expect(o["incidents"] == 37)
        #expect(o["closed"] == 37)
        #expect(o["offender_measures"] == .object(["community_criticism": 30, "behaviour_education": 2, "administrative_fine": 5, "criminal_prosecution": 2]))
        #expect(o["victim_support"] == .object(["counselling": 33, "vocational_training": 2, "post_violence_care": 6, "none": 4]))
        #expect(o["by_form"] == .object(["physical": 27, "economic": 10]))
        #expect(o["by_district"]?.objectValue?.members.reduce(0) { $0 + ($1.value.objectValue?["incidents"]?.integerValue ?? 0) } == 37)
        #expect(o["escalations"]?.objectValue != nil)

        let (_, vi) = try daemon.hotlinectl(["stats", "--year", "2021", "--lang", "vi"])
        #expect(vi.hasPrefix("Trong năm 2021, trên địa bàn toàn tỉnh đã có 37 vụ bạo lực gia đình được xử lý"))
        #expect(vi.contains(
            "Biện pháp xử lý đối với người gây bạo lực: 30 vụ góp ý, phê bình trong cộng đồng dân cư; 3 vụ xử phạt vi phạm hành chính; 2 vụ giáo dục, hỗ trợ chuyển đổi hành vi và xử phạt vi phạm hành chính; 2 vụ truy cứu trách nhiệm hình sự."), "\(vi)")
        #expect(vi.contains(
            "Hỗ trợ nạn nhân: 33 nạn nhân được tư vấn, trong đó 6 nạn nhân được chăm sóc sau bạo lực, 2 nạn nhân được hỗ trợ học nghề."), "\(vi)")
        #expect(vi.contains("Theo hình thức bạo lực: thể chất 27 vụ, kinh tế 10 vụ."))
        let (_, en) = try daemon.hotlinectl(["stats", "--year", "2021", "--lang", "en"])
        #expect(en.hasPrefix("In 2021, 37 cases of domestic violence were handled across the province"))
        #expect(en.contains("33 victims were counselled, of whom 6 also received post-violence care and 2 also received vocational training"))
        let (_, csv) = try daemon.hotlinectl(["--json", "stats", "--year", "2021", "--csv"])
        #expect(csv.contains("offender_measure,administrative_fine,xử phạt vi phạm hành chính,5"))
        #expect(csv.hasPrefix("section,code,name,count\ntotal,incidents,,37\n"))
    }

    @Test func operatorOutputAndLogsCannotBeDrivenByWhatAGatewaySent() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let c = try daemon.gateway("14320")
        // Terminal escapes that controls can no longer carry (refused at intake), and what
        // text may still hold: C1 controls, bidirectional overrides, line breaks.
        let summary = #"a\u009b2J\u202eevil\u2066 x\nstate: closed\u0085line"#
        let r = try okObject(try c.request(#"REPORT {"ref":"term-1","severity":"high","forms":["physical"],"summary":"\#(summary)"}"#))
        let id = r["incident"]!.stringValue!
        let (status, shown) = try daemon.hotlinectl(["show", "--personal", id])
        #expect(status == 0, "\(shown)")
        for scalar in shown.unicodeScalars where scalar != "\n" {
            #expect(!SafeText.isUnsafe(scalar), "raw U+\(String(scalar.value, radix: 16)) in hotlinectl show")
        }
        #expect(shown.split(separator: "\n").filter { $0.hasPrefix("state:") } == ["state: open"])
        #expect(shown.contains(#"summary: a\x9B2J\u202Eevil\u2066 x\nstate: closed\x85line"#), "\(shown)")
        // --json stays exact.
        let (_, json) = try daemon.hotlinectl(["--json", "show", "--personal", id])
        #expect(try JSONParser.parse(json).objectValue?["summary"] == .string("a\u{9B}2J\u{202E}evil\u{2066} x\nstate: closed\u{85}line"))

        // Ids an operator types reach the log escaped: no forged line.
        let (badStatus, badOutput) = try daemon.hotlinectl(["ack", "INC-1\nFORGED log line \u{1B}[31m"])
        #expect(badStatus != 0)
        #expect(!badOutput.unicodeScalars.contains { $0 == "\u{1B}" })
        _ = try daemon.hotlinectl(["show", "INC-1\nFORGED show line"])
        #expect(!daemon.log.split(separator: "\n").contains { $0.hasPrefix("FORGED") }, "\(daemon.log)")
        #expect(!daemon.log.unicodeScalars.contains { $0 == "\u{1B}" })

        // No operator request may crash the daemon: a year at the end of the calendar.
        for year in ["9999", "1900", "0", "-5", "99999"] {
            _ = try daemon.hotlinectl(["stats", "--year", year, "--json"])
        }
        let (statsStatus, stats) = try daemon.hotlinectl(["stats", "--year", "9999", "--json"])
        #expect(statsStatus == 0, "\(stats)")
        #expect(try JSONParser.parse(stats).objectValue?["incidents"] == 0)
        #expect(daemon.process?.isRunning == true)
        #expect(try c.request("PING") == #"OK {"pong":true}"#)
    }

    @Test(arguments: StoreBackend.allCases) func operatorCommandsAgainstARunningDaemon(backend: StoreBackend) throws {
        let daemon = try DaemonProcess(backend: backend)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let c = try daemon.gateway("14638")
        let id = try okObject(try c.request(#"REPORT {"ref":"op-1","severity":"high","forms":["physical"],"children":1,"caller":"0900"}"#))["incident"]!.stringValue!

        let (statusCode, statusJSON) = try daemon.hotlinectl(["status", "--json"])
        #expect(statusCode == 0)
        let status = try #require(try JSONParser.parse(statusJSON).objectValue)
        #expect(status["connections"] == .object(["HL-14638": 1]))
        #expect(status["open"]?.objectValue?["high"] == 1)
        let (_, table) = try daemon.hotlinectl(["status"])
        #expect(table.contains("connections: 1 (HL-14638 1)"))
        #expect(table.contains("high      1     0"))

        let (_, list) = try daemon.hotlinectl(["incidents", "--open", "--commune", "14638"])
        #expect(list.contains(id))
        #expect(list.hasPrefix("INCIDENT"))
        let (_, none) = try daemon.hotlinectl(["incidents", "--json", "--district", "000"])
        #expect(none == #"{"incidents":[]}"# + "\n")

        let (reassignCode, reassigned) = try daemon.hotlinectl(["reassign", id, "PG-14638-05", "--json"])
        #expect(reassignCode == 0)
        #expect(try JSONParser.parse(reassigned).objectValue?["assigned"]?.objectValue?["id"] == "PG-14638-05")
        let (badCode, bad) = try daemon.hotlinectl(["reassign", id, "HF-14638"])
        #expect(badCode != 0)
        #expect(bad.contains("invalid"))
        #expect(try daemon.hotlinectl(["ack", id]).status == 0)
        #expect(try daemon.hotlinectl(["close", id, "--measure", "stop_order", "--support", "counselling"]).status == 0)
        let (notFoundCode, notFound) = try daemon.hotlinectl(["show", "INC-999999"])
        #expect(notFoundCode != 0)
        #expect(notFound.contains("not-found"))

        // The history names the operator (this test's Unix user), and the owner sees it closed.
        let (_, shown) = try daemon.hotlinectl(["show", id, "--json"])
        let history = try #require(try JSONParser.parse(shown).objectValue?["history"]?.arrayValue)
        let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
        #expect(history.filter { $0.objectValue?["operator"] == .string(user) }.map { $0.objectValue!["event"]! } == ["reassigned", "acknowledged", "closed"])
        #expect(try okObject(try c.request("STATUS \(id)"))["state"] == "closed")

        // Reload through the control socket.
        let (reloadCode, reloaded) = try daemon.hotlinectl(["reload"])
        #expect(reloadCode == 0)
        #expect(reloaded == "reloaded\n")
        // A malformed configuration on reload is refused with its line and column, and the
        // daemon keeps serving on the old one (toml++ behind TOMLKit aborted the process on
        // this input, found by the fuzz target's toml mode).
        let goodConfiguration = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try ("[$directory]\n" + goodConfiguration).write(toFile: daemon.configPath, atomically: false, encoding: .utf8)
        let operatorSocket = try LineClient(unixPath: daemon.folder + "/data/control.sock")
        try operatorSocket.send(#"{"cmd":"reload"}"# + "\n")
        #expect(try operatorSocket.readLineOrEOF() == #"{"code":"invalid","error":"reload failed; see the daemon's log"}"#)
        #expect(try c.request("PING") == #"OK {"pong":true}"#)
        #expect(try String(contentsOfFile: daemon.logPath, encoding: .utf8).contains(":1:2: expected a key"))
        try goodConfiguration.write(toFile: daemon.configPath, atomically: false, encoding: .utf8)

        // The queue: tail and verify.
        let (_, tail) = try daemon.hotlinectl(["tail", "--from-seq", "1", "--no-follow"])
        #expect(tail.hasPrefix("#1 "))
        #expect(tail.contains("\(id) high level 0 child_protection"))
        let (verifyCode, verified) = try daemon.hotlinectl(["verify-queue"])
        #expect(verifyCode == 0)
        #expect(verified.hasPrefix("ok: "))
        let broken = daemon.folder + "/broken.jsonl"
        let queue = try String(contentsOfFile: daemon.folder + "/data/escalations.jsonl", encoding: .utf8)
        try (queue + queue).write(toFile: broken, atomically: true, encoding: .utf8)
        let (brokenCode, brokenText) = try daemon.hotlinectl(["verify-queue", broken])
        #expect(brokenCode == 1)
        #expect(brokenText.hasPrefix("BROKEN: "))

        // The directory, without the daemon.
        let (findCode, found) = try daemon.hotlinectl(["directory", "find", "an hoa"])
        #expect(findCode == 0)
        #expect(found.contains("14638") && found.contains("Xã Ân Hòa"))
        #expect(!found.contains("Nho Quan"))
        let (checkCode, checked) = try daemon.hotlinectl(["directory", "check", Repository.sampleDirectory])
        #expect(checkCode == 0)
        #expect(checked.hasPrefix("ok: 143 communes"))
        let (badDirCode, badDir) = try daemon.hotlinectl(["directory", "check", daemon.folder])
        #expect(badDirCode == 1)
        #expect(badDir.contains("communes.csv"))
    }

    @Test func tailFollowsAcrossRotation() throws {
        let daemon = try DaemonProcess()
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let c = try daemon.gateway("14320")
        let tail = Process()
        tail.executableURL = URL(fileURLWithPath: (Repository.hotlined as NSString).deletingLastPathComponent + "/hotlinectl")
        tail.arguments = ["--config", daemon.configPath, "tail", "--json"]
        let outputPath = daemon.folder + "/tail.out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        tail.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        try tail.run()
        defer {
            // SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM.
            kill(tail.processIdentifier, SIGKILL)
            tail.waitUntilExit()
        }
        func seen() -> String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        /// Waits for what the test expects to see, not for a guessed time.
        func waitFor(_ what: String, _ condition: () -> Bool) {
            let seen = Wait.until(condition)
            #expect(seen, "timed out waiting for \(what)")
        }
        _ = try okObject(try c.request(#"REPORT {"ref":"t1","severity":"low","forms":["economic"],"children":1}"#))
        waitFor("tail to print seq 1") { seen().split(separator: "\n").count == 1 }
        kill(daemon.process!.processIdentifier, SIGHUP)  // rotate
        waitFor("the rotation") { FileManager.default.fileExists(atPath: daemon.folder + "/data/escalations.jsonl.1") }
        _ = try okObject(try c.request(#"REPORT {"ref":"t2","severity":"low","forms":["economic"],"children":1}"#))
        waitFor("tail to follow into the new file") { seen().split(separator: "\n").count == 2 }
        let text = seen()
        let lines = text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)).objectValue }
        #expect(lines.compactMap { $0["seq"]?.integerValue } == [1, 2])
        #expect(FileManager.default.fileExists(atPath: daemon.folder + "/data/escalations.jsonl.1"))
    }
}
