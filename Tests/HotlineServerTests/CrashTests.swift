import HotlineHarness
import Foundation
import HotlineCore
import HotlineLineClient
import Testing

@Suite(.serialized)
struct CrashTests {
    static func report(_ ref: String) -> String {
        #"REPORT {"ref":"\#(ref)","severity":"normal","forms":["psychological"],"victims":2}"#
    }

    @Test(arguments: StoreBackend.allCases) func sigkillMidLoadLosesNoReceiptedReport(backend: StoreBackend) async throws {
        let daemon = try DaemonProcess(backend: backend)
        try daemon.start()
        let receipts = Receipts()
        let communes = ["14320", "14323", "14326", "14329"]
        let group = DispatchGroup()
        for (n, commune) in communes.enumerated() {
            let port = daemon.port
            DispatchQueue.global().async(group: group) {
                // Pipelined load until the daemon dies under it.
                guard let c = try? LineClient(port: port, timeoutSeconds: 10), (try? c.readLine()) != nil,
                    let auth = try? c.request("AUTH HL-\(commune) demo-HL-\(commune)"), HLPReply.isOK(auth)
                else { return }
                var i = 0
                while true {
                    let refs = (0..<16).map { "k\(n)-\(i + $0)" }
                    i += 16
                    guard (try? c.send(refs.map { Self.report($0) + "\n" }.joined())) != nil else { return }
                    for ref in refs {
                        guard let line = try? c.readLineOrEOF(), let receipt = try? okObject(line) else { return }
                        receipts.add(ref: ref, commune: commune, incident: receipt["incident"]?.stringValue ?? "")
                    }
                }
            }
        }
        // Kill it once a good number of reports were receipted, mid-stream.
        let deadline = Date().addingTimeInterval(60)
        while receipts.count < 400, Date() < deadline { usleep(5_000) }
        daemon.kill(SIGKILL)
        group.wait()
        let receipted = receipts.all
        #expect(receipted.count >= 400)

        try daemon.start()
        var byCommune: [String: LineClient] = [:]
        for commune in communes {
            let c = try LineClient(port: daemon.port)
            _ = try c.readLine()
            _ = try c.request("AUTH HL-\(commune) demo-HL-\(commune)")
            byCommune[commune] = c
        }
        for (ref, (commune, incident)) in receipted {
            let again = try okObject(try byCommune[commune]!.request(Self.report(ref)))
            #expect(again["duplicate"] == true, "\(ref) was receipted but is gone")
            #expect(again["incident"] == .string(incident))
        }
        byCommune.removeAll()
        // SIGTERM: a graceful stop with exit status 0.
        daemon.kill(SIGTERM)
        #expect(daemon.process?.terminationStatus == 0)
        #expect(daemon.process?.terminationReason == .exit)
    }

    @Test(arguments: StoreBackend.allCases) func escalationStormSurvivesTwoSIGKILLs(backend: StoreBackend) async throws {
        // Every report escalates every second: thousands of records a second to the queue.
        let daemon = try DaemonProcess(backend: backend) { c in
            c.queueRotateBytes = 262_144
            c.queueKeepFiles = 1000
            for s in Severity.allCases { c.deadlines.windows[s] = DeadlineWindows(ack: 1, attend: 1) }
        }
        try daemon.start()
        do {
            let c = try LineClient(port: daemon.port)
            _ = try c.readLine()
            _ = try c.request("AUTH HL-14320 demo-HL-14320")
            var batch = ""
            for i in 0..<1500 {
                batch += #"REPORT {"ref":"storm-\#(i)","severity":"normal","forms":["physical"],"children":1}"# + "\n"
            }
            try c.send(batch)
            for _ in 0..<1500 { _ = try okObject(try c.readLine()) }
        }
        let queue = daemon.folder + "/data/escalations.jsonl"
        for pause in [1_300_000, 2_100_000] {
            usleep(UInt32(pause))  // mid-storm
            daemon.kill(SIGKILL)
            try daemon.start()
        }
        usleep(1_500_000)
        daemon.kill(SIGTERM)
        #expect(daemon.process?.terminationStatus == 0)
        let (records, verifier) = try readQueue(queue)
        // Gapless from 1, never repeated, chain intact (readQueue throws otherwise).
        #expect(records.count >= 3000)
        #expect(verifier.lastSeq == Int64(records.count))
        #expect(records.first?["seq"] == 1)
        var seen = Set<String>()
        for r in records {
            let key = [r["incident"], r["level"], r["reason"], r["due"]].map { $0?.jsonText ?? "" }.joined(separator: "|")
            #expect(seen.insert(key).inserted, "repeated escalation \(key)")
        }
    }

    @Test func checkConfigAndBadConfigurationExitCodes() throws {
        let daemon = try DaemonProcess()
        func run(_ args: [String]) throws -> (Int32, String) { try DaemonProcess.runHotlined(args) }
        let (ok, okText) = try run(["--config", daemon.configPath, "--check-config"])
        #expect(ok == 0)
        #expect(okText.contains("configuration OK"))
        // A broken directory names file, line and reason.
        let dir = daemon.folder + "/dir"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["communes.csv", "villages.csv", "responders.csv", "hotlines.csv"] {
            try FileManager.default.copyItem(atPath: Repository.sampleDirectory + "/" + f, toPath: dir + "/" + f)
        }
        var villages = try String(contentsOfFile: dir + "/villages.csv", encoding: .utf8)
        villages += "V99999-01,99999,Thôn lạ,20.1,105.9\n"
        try villages.write(toFile: dir + "/villages.csv", atomically: true, encoding: .utf8)
        let bad = daemon.folder + "/bad.toml"
        try (try String(contentsOfFile: daemon.configPath, encoding: .utf8))
            .replacingOccurrences(of: "path = \"\(daemon.folder)/directory\"", with: "path = \"dir\"")
            .write(toFile: bad, atomically: true, encoding: .utf8)
        let (code, text) = try run(["--config", bad, "--check-config"])
        #expect(code == 78)
        #expect(text.contains("villages.csv:1412: commune_code 99999 is not in communes.csv"), "\(text)")
        // Demo tokens refuse a non-loopback listen.
        let open = daemon.folder + "/open.toml"
        try (try String(contentsOfFile: daemon.configPath, encoding: .utf8))
            .replacingOccurrences(of: "127.0.0.1:0", with: "0.0.0.0:0")
            .write(toFile: open, atomically: true, encoding: .utf8)
        let (refused, why) = try run(["--config", open])
        #expect(refused == 78)
        #expect(why.contains("demo token"))
        // An unknown key is an error, not a silent default.
        let typo = daemon.folder + "/typo.toml"
        try "[server]\nlisten = \"127.0.0.1:0\"\nmax_line_byte = 10\n".write(toFile: typo, atomically: true, encoding: .utf8)
        let (typoCode, typoText) = try run(["--config", typo, "--check-config"])
        #expect(typoCode == 78)
        #expect(typoText.contains("unknown key server.max_line_byte"))
    }
}

/// Receipted refs, shared by the load threads.
final class Receipts: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: (String, String)] = [:]
    func add(ref: String, commune: String, incident: String) {
        lock.lock()
        map[ref] = (commune, incident)
        lock.unlock()
    }
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return map.count
    }
    var all: [String: (String, String)] {
        lock.lock()
        defer { lock.unlock() }
        return map
    }
}
