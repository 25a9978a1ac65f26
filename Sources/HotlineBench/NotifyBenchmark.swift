import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineHarness
import HotlineLineClient
import HotlineNotify

#if canImport(Glibc)
import Glibc
#endif

/// The notifier's lag during the escalation storm: `open` incidents seeded due in the same
/// second, the real `hotlined` escalating them all (one queue record each), the real
/// `hotline-notify` following the queue into smstools' folders. Lag is from a record's `at`
/// (whole seconds, so up to 1 s is rounding) to the ledger's commit of it, and to its file for
/// those sent at once. Optionally with the daemon taking intake from a load generator meanwhile.
public enum NotifyBenchmark {
    public struct Result: Sendable {
        public var records: Int
        public var files: Int
        public var seconds: Double
        public var handledP50: Double, handledP99: Double
        public var spooledP50: Double, spooledP99: Double
        public var intake: LoadGenerator.Result?
    }

    public static func run(
        open: Int, perRecipient: Int, intake: (connections: Int, pipeline: Int)?, hotlined: String, notify: String,
        sample: String, tokens: String, folder: String
    ) throws -> Result {
        let fm = FileManager.default
        let source = try DialableDirectory.make(from: sample, in: folder)
        let directory = try DirectoryLoader.load(folder: source)
        try fm.createDirectory(atPath: folder + "/daemon/data", withIntermediateDirectories: true)
        chmod(folder + "/daemon/data", 0o750)
        let daemon = try DaemonProcess(
            files: .init(hotlined: hotlined, directory: source, tokens: tokens), folder: folder + "/daemon",
            configure: DaemonProcess.unlimited)
        // The due second comes after seeding and both starts.
        let due = Timestamp(seconds: Int64(Date().timeIntervalSince1970) + 8)
        try StoreSeeder.seed(path: folder + "/daemon/data/hotline.sqlite", closed: 0, open: open, due: due)
        let n = folder + "/notify"
        for f in ["/spool/outgoing", "/spool/checked", "/spool/sent", "/spool/failed", "/spool/incoming", "/state"] {
            try fm.createDirectory(atPath: n + f, withIntermediateDirectories: true)
        }
        try DialableDirectory.contacts(directory).write(toFile: n + "/contacts.csv", atomically: true, encoding: .utf8)
        try """
            daemon_config = "../daemon/hotlined.toml"
            state_dir = "state"
            contacts = "contacts.csv"
            replies = false
            [smstools]
            spool = "spool"
            [rate]
            per_recipient = \(perRecipient)
            """.write(toFile: n + "/notify.toml", atomically: true, encoding: .utf8)
        chmod(n + "/notify.toml", 0o644)
        chmod(n + "/contacts.csv", 0o644)
        ServiceIdentity.own(n)
        try daemon.start()
        defer { daemon.kill(SIGTERM) }
        let p = Process()
        let command = ServiceIdentity.launcher + [ServiceIdentity.executable(notify), "run", "--config", n + "/notify.toml"]
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
        }
        var load: LoadGenerator.Result?
        let loadThread: Thread?
        let loadDone = DispatchSemaphore(value: 0)
        if let intake {
            let gateways = directory.hotlines.values.sorted { $0.id < $1.id }.map { (id: $0.id, commune: $0.communeCode) }
            let options = LoadGenerator.Options(
                host: "127.0.0.1", port: daemon.port, connections: intake.connections, pipeline: intake.pipeline,
                reports: 200_000, gateways: gateways, tokenPrefix: "demo-", runID: "notify-\(UUID().uuidString.prefix(8))")
            let box = ResultBox()
            let t = Thread {
                box.result = try? LoadGenerator.run(options)
                loadDone.signal()
            }
            t.start()
            loadThread = t
            defer { _ = loadThread }
            load = nil
            let wait = Double(due.seconds) - Date().timeIntervalSince1970
            if wait > 0 { usleep(UInt32(wait * 1e6)) }
            try awaitCursor(n + "/state", open, deadline: 600)
            loadDone.wait()
            load = box.result
        } else {
            try awaitCursor(n + "/state", open, deadline: 600)
        }
        let finished = Date().timeIntervalSince1970
        let ledger = try Ledger(folder: n + "/state", readOnly: true)
        let lags = try ledger.lags()
        let files = ((try? fm.contentsOfDirectory(atPath: n + "/spool/outgoing")) ?? []).filter { !$0.hasPrefix(".") }.count
        func pct(_ a: [Int64], _ q: Double) -> Double {
            a.isEmpty ? 0 : Double(a[min(a.count - 1, Int(q * Double(a.count)))]) / 1000
        }
        return Result(
            records: lags.handled.count, files: files, seconds: finished - Double(due.seconds),
            handledP50: pct(lags.handled, 0.5), handledP99: pct(lags.handled, 0.99),
            spooledP50: pct(lags.spooled, 0.5), spooledP99: pct(lags.spooled, 0.99), intake: load)
    }

    final class ResultBox: @unchecked Sendable { var result: LoadGenerator.Result? }

    /// Waits until the notifier's cursor reaches at least `seq`.
    static func awaitCursor(_ state: String, _ seq: Int, deadline: Double) throws {
        let end = Date().addingTimeInterval(deadline)
        while Date() < end {
            if let l = try? Ledger(folder: state, readOnly: true), let c = try? l.cursor(), c.seq >= Int64(seq) { return }
            usleep(200_000)
        }
        throw LineClient.Failure(description: "the notifier did not reach seq \(seq) in \(Int(deadline)) s")
    }
}
