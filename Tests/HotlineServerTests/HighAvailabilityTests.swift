import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineHarness
import HotlineLineClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Receipts the load got, by ref: what a gateway holds once it has an OK.
final class ReceiptBook: @unchecked Sendable {
    // @unchecked: everything is guarded by `lock`.
    private let lock = NSLock()
    private var receipts: [String: (gateway: String, incident: String)] = [:]
    private(set) var unavailable = 0
    private(set) var unexpected: [String] = []

    func add(ref: String, gateway: String, incident: String) {
        lock.withLock {
            if let earlier = receipts[ref], earlier.incident != incident {
                unexpected.append("\(ref) receipted as \(earlier.incident) and \(incident)")
            }
            receipts[ref] = (gateway, incident)
        }
    }
    func refused() { lock.withLock { unavailable += 1 } }
    func odd(_ line: String) { lock.withLock { unexpected.append(line) } }
    var count: Int { lock.withLock { receipts.count } }
    var all: [String: (gateway: String, incident: String)] { lock.withLock { receipts } }
    var problems: [String] { lock.withLock { unexpected } }
}

/// Gateways as `hotline-gateway` behaves: one report at a time, resent (same ref) after
/// `ERR unavailable` or a lost connection, to whichever port `port()` names at the time.
enum GatewayLoad {
    static func report(_ ref: String, children: Int) -> String {
        #"REPORT {"ref":"\#(ref)","severity":"normal","forms":["physical"],"children":\#(children)}"#
    }

    /// Runs a thread per gateway, each sending reports one after another until `stop` says so
    /// (or `seconds` have passed); returns when every thread has its last report receipted.
    static func run(
        gateways: [String], seconds: Double, book: ReceiptBook, stop: @escaping @Sendable () -> Bool,
        port: @escaping @Sendable () -> Int
    ) {
        let group = DispatchGroup()
        let deadline = Date().addingTimeInterval(seconds)
        for gateway in gateways {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var client: LineClient?
                var i = 0
                while !stop(), Date() < deadline {
                    do {
                        if client == nil {
                            let c = try LineClient(port: port(), timeoutSeconds: 15)
                            _ = try c.readLine()
                            let auth = try c.request("AUTH \(gateway) demo-\(gateway)")
                            guard HLPReply.isOK(auth) else { throw LineClient.Failure(description: auth) }
                            client = c
                        }
                        let ref = "\(gateway)-\(i)"
                        let line = try client!.request(report(ref, children: i % 4 == 0 ? 1 : 0))
                        if HLPReply.isOK(line) {
                            let receipt = try JSONParser.parse(Array(line.utf8.dropFirst(3))).objectValue
                            book.add(ref: ref, gateway: gateway, incident: receipt?["incident"]?.stringValue ?? "?")
                            i += 1
                        } else if line.hasPrefix("ERR unavailable") {
                            book.refused()
                            usleep(50_000)
                        } else {
                            book.odd(line)
                            i += 1
                        }
                    } catch {
                        client = nil
                        usleep(50_000)
                    }
                }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }

    /// Every receipted ref, sent again: the duplicate of its original incident.
    static func resendAll(_ book: ReceiptBook, port: Int) throws -> (checked: Int, wrong: [String]) {
        var clients: [String: LineClient] = [:]
        var wrong: [String] = []
        let all = book.all
        for (ref, (gateway, incident)) in all {
            if clients[gateway] == nil {
                let c = try LineClient(port: port)
                _ = try c.readLine()
                _ = try c.request("AUTH \(gateway) demo-\(gateway)")
                clients[gateway] = c
            }
            let n = Int(ref.split(separator: "-").last!)!
            let line = try clients[gateway]!.request(report(ref, children: n % 4 == 0 ? 1 : 0))
            guard let o = HLPReply(line: line).object,
                o["duplicate"] == true, o["incident"] == .string(incident)
            else {
                wrong.append("\(ref) (\(incident)): \(line)")
                continue
            }
        }
        return (all.count, wrong)
    }

    /// The first `n` gateways of the sample directory.
    static func gateways(_ n: Int) throws -> [String] {
        let directory = try DirectoryLoader.load(folder: Repository.sampleDirectory)
        return Array(directory.hotlines.keys.sorted().prefix(n))
    }
}

/// Two PostgreSQL-backed `hotlined` nodes and a PostgreSQL primary with a synchronous standby,
/// all real processes on loopback: a daemon killed, a database server killed, and what the
/// gateways hold afterwards.
@Suite(.serialized) struct HighAvailabilityTests {
    static func fastDeadlines(_ c: inout Configuration) {
        DaemonProcess.unlimited(&c)
        for s in Severity.allCases { c.deadlines.windows[s] = DeadlineWindows(ack: 2, attend: 2) }
    }

    /// Every receipted ref, sent again, is the duplicate of its original incident; nothing odd
    /// was answered. Returns how many were checked.
    static func everyReceiptHolds(_ book: ReceiptBook, port: Int) throws -> Int {
        let (checked, wrong) = try GatewayLoad.resendAll(book, port: port)
        #expect(checked > 0)
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(book.problems.isEmpty, "\(book.problems.prefix(5))")
        return checked
    }

    /// Waits until a deadline has been escalated (a level-1 record is in the queue), stops the
    /// daemon cleanly and reads its queue file: from seq 1, gapless and chained (readQueue
    /// throws otherwise).
    static func stopAndReadWholeQueue(_ daemon: DaemonProcess) async throws -> [JSONObject] {
        let path = daemon.folder + "/data/escalations.jsonl"
        await Wait.until(seconds: 30, every: 0.2) { try readQueue(path).records.contains { $0["level"] == 1 } }
        daemon.kill(SIGTERM)
        #expect(daemon.process?.terminationStatus == 0)
        let (records, verifier) = try readQueue(daemon.folder + "/data/escalations.jsonl")
        #expect(records.first?["seq"] == 1)
        #expect(verifier.lastSeq == Int64(records.count))
        return records
    }

    /// The daemon logs in with the password from `password_file`; a password file other users
    /// may read, or a wrong password, stops it at start with the reason (exit 78).
    @Test func theDaemonLogsInWithItsPasswordFile() throws {
        let cluster = try PostgresCluster.shared()
        let url = try PostgresCluster.newDatabase()
        let role = "hl" + UUID().uuidString.prefix(8).lowercased()
        try cluster.addPasswordRole(role, password: "correct horse")
        let daemon = try DaemonProcess { c in
            c.storage.backend = .postgresql
            c.storage.url = url.replacingOccurrences(of: "postgresql://postgres@", with: "postgresql://\(role)@")
            c.storage.passwordFile = "pg.password"
        }
        let passwordFile = daemon.folder + "/pg.password"
        func writePassword(_ text: String, mode: mode_t) throws {
            try text.write(toFile: passwordFile, atomically: false, encoding: .utf8)
            chmod(passwordFile, mode)
        }
        try writePassword("correct horse\n", mode: 0o600)
        try daemon.start()
        let c = try daemon.gateway()
        #expect(try c.request(#"REPORT {"ref":"pw-1","severity":"low","forms":["economic"]}"#).hasPrefix("OK "))
        daemon.kill(SIGTERM)
        #expect(daemon.process?.terminationStatus == 0)
        #expect(try cluster.psql("SELECT count(*) FROM incident", database: String(url.split(separator: "/").last!)) == "1")

        try writePassword("correct horse\n", mode: 0o644)
        let (readable, why) = try DaemonProcess.runHotlined(["--config", daemon.configPath])
        #expect(readable == 78)
        #expect(why.contains("\(passwordFile) (PostgreSQL password file): mode 644 lets every user read it"), "\(why)")

        try writePassword("wrong horse\n", mode: 0o600)
        let (wrong, reason) = try DaemonProcess.runHotlined(["--config", daemon.configPath])
        #expect(wrong == 78)
        #expect(reason.contains("password authentication failed for user \"\(role)\""), "\(reason)")
    }

    @Test func theSecondDaemonWaitsThenTakesOverFromAKilledFirst() async throws {
        let url = try PostgresCluster.newDatabase()
        func node() throws -> DaemonProcess {
            try DaemonProcess { c in
                Self.fastDeadlines(&c)
                c.storage.backend = .postgresql
                c.storage.url = url
                // Small queue files, so that the queues rotate and are checked across files; all
                // of them kept (2 s deadlines write tens of MB in a slow run).
                c.queueRotateBytes = 256 << 10
                c.queueKeepFiles = 1000
            }
        }
        let a = try node()
        let b = try node()
        try a.start()
        try b.launch()
        // B waits for the lock, not listening.
        #expect(await Wait.until { b.logged("another hotlined serves this database; waiting for its lock") })
        #expect(!b.logged("] listening"))
        #expect(b.process?.isRunning == true)

        let book = ReceiptBook()
        let active = ActivePort(a.port)
        let gateways = try GatewayLoad.gateways(16)
        let stop = Flag()
        let loadDone = Flag()
        Thread {
            GatewayLoad.run(gateways: gateways, seconds: 150, book: book, stop: { stop.value }) { active.value }
            loadDone.value = true
        }.start()
        #expect(await Wait.until(seconds: 60) { book.count >= 200 })
        #expect(!b.logged("] listening"))  // still waiting while A serves
        let killedAt = Date()
        a.kill(SIGKILL)
        let before = book.count
        try b.awaitListening(timeout: 30)
        let takeover = Date().timeIntervalSince(killedAt)
        active.value = b.port
        // The gateways carry on against B.
        #expect(await Wait.until(seconds: 60) { book.count >= before + 200 })
        stop.value = true
        #expect(await Wait.until(seconds: 60) { loadDone.value })
        let checked = try Self.everyReceiptHolds(book, port: b.port)
        print("HA daemon takeover: \(String(format: "%.2f", takeover)) s after SIGKILL; \(before) receipts before it, \(checked) in all, \(book.unavailable) ERR unavailable, 0 lost, 0 twice")

        // Deadlines of 2 s: escalations ran on A and go on on B. B's queue file holds every
        // record from seq 1, gapless and chained, each escalation once. Its escalations go on
        // until its queue has rotated (files of 256 KiB), so that the check spans files.
        let rotated = await Wait.until(seconds: 60, every: 0.2) {
            FileManager.default.fileExists(atPath: b.folder + "/data/escalations.jsonl.1")
        }
        #expect(rotated, "B's queue did not rotate")
        let records = try await Self.stopAndReadWholeQueue(b)
        var seen = Set<String>()
        for r in records {
            let key = [r["incident"], r["level"], r["reason"], r["due"]].map { $0?.jsonText ?? "" }.joined(separator: "|")
            #expect(seen.insert(key).inserted, "escalated twice: \(key)")
        }
        let levels = Set(records.compactMap { $0["level"]?.jsonText })
        #expect(levels.contains("1"))  // deadlines were escalated, not only intake records
        // A's queue (cut by the SIGKILL) is a prefix of B's, line for line, across rotated files.
        let aLines = try queueLines(a.folder + "/data/escalations.jsonl")
        let bLines = try queueLines(b.folder + "/data/escalations.jsonl")
        #expect(!aLines.isEmpty)
        let matching = zip(aLines, bLines).prefix { $0 == $1 }.count
        #expect(matching == aLines.count, "A's line \(matching + 1) of \(aLines.count) differs from B's (B has \(bLines.count))")
    }

    @Test func failoverToTheSynchronousStandbyLosesNoReceipt() async throws {
        let primary = try PostgresCluster()
        let standby = try PostgresCluster(standbyOf: primary)
        try primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        try primary.psql("SELECT pg_reload_conf()")
        #expect(await Wait.until(seconds: 30) {
            try primary.psql("SELECT sync_state FROM pg_stat_replication") == "sync"
        })
        let daemon = try DaemonProcess { c in
            Self.fastDeadlines(&c)
            c.storage.backend = .postgresql
            c.storage.url = "postgresql://postgres@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/hotline"
        }
        try daemon.start()
        let book = ReceiptBook()
        let gateways = try GatewayLoad.gateways(64)
        let port = daemon.port
        let stop = Flag()
        let loadDone = Flag()
        Thread {
            GatewayLoad.run(gateways: gateways, seconds: 150, book: book, stop: { stop.value }) { port }
            loadDone.value = true
        }.start()
        #expect(await Wait.until(seconds: 60) { book.count >= 300 })
        primary.crash()
        let crashedAt = Date()
        let before = book.count
        try standby.promote()
        // The gateways carry on once the daemon writes to the promoted standby.
        #expect(await Wait.until(seconds: 60) { book.count >= before + 300 })
        let recovered = Date().timeIntervalSince(crashedAt)
        stop.value = true
        #expect(await Wait.until(seconds: 60) { loadDone.value })
        let checked = try Self.everyReceiptHolds(book, port: daemon.port)
        // No incident twice: one row per (gateway, ref) and as many as were receipted.
        #expect(try standby.psql("SELECT count(*) FROM incident") == "\(checked)")
        print("HA database failover: \(before) receipts before the SIGKILL, \(checked) in all, \(book.unavailable) ERR unavailable, 300 more receipted \(String(format: "%.2f", recovered)) s after it, 0 lost, 0 twice")
        let records = try await Self.stopAndReadWholeQueue(daemon)
        #expect(try standby.psql("SELECT max(seq) FROM outbox") == "\(records.count)")
    }
}

/// A flag set by the test and read by the load's threads.
final class Flag: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var set = false
    var value: Bool {
        get { lock.withLock { set } }
        set { lock.withLock { set = newValue } }
    }
}

/// The port the gateways are sent to (the node serving now).
final class ActivePort: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var port: Int
    init(_ port: Int) { self.port = port }
    var value: Int {
        get { lock.withLock { port } }
        set { lock.withLock { port = newValue } }
    }
}
