import Foundation
import HotlineHarness
import HotlineCore
import HotlineLineClient

/// Crash safety at load: cycles of (64 connections loading, SIGKILL at a random moment,
/// restart, verify). Verified each cycle: every receipted ref comes back `"duplicate":true`
/// with its incident id (present exactly once), and the escalation queue is gapless with an
/// intact hash chain. Acknowledgement windows are two seconds, so escalations are written during
/// the load; each cycle's incidents are closed after they are verified, so the escalation
/// volume does not grow from cycle to cycle.
public enum CrashCycles {
    public struct Outcome: Sendable {
        public var cycle: Int
        public var killedAfter: Double
        public var receipted: Int
        public var queueRecords: Int
        public var problem: String?
    }

    public static func run(
        cycles: Int, binary: String, folder: String, directory: String, tokens: String, gateways: [(id: String, commune: String)],
        connections: Int = 64, progress: (Outcome) -> Void
    ) throws -> [Outcome] {
        let daemon = try DaemonProcess(
            files: .init(hotlined: binary, directory: directory, tokens: tokens), folder: folder
        ) { c in
            DaemonProcess.unlimited(&c)
            for s in Severity.allCases { c.deadlines.windows[s] = DeadlineWindows(ack: 2, attend: 3600) }
        }
        var outcomes: [Outcome] = []
        let store = ReceiptStore()
        var rng = SystemRandomNumberGenerator()
        for cycle in 1...cycles {
            try daemon.start(arguments: ["--log-level", "notice"])
            let group = DispatchGroup()
            let port = daemon.port
            for n in 0..<connections {
                let g = n % gateways.count
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    guard let c = try? LineClient(host: "127.0.0.1", port: port, timeoutSeconds: 10),
                        (try? c.readLine()) != nil
                    else { return }
                    try? c.send("AUTH \(gateways[g].id) demo-\(gateways[g].id)\n")
                    guard let auth = try? c.readLine(), HLPReply.isOK(auth) else { return }
                    var i = 0
                    while true {
                        let refs = (0..<16).map { "c\(cycle)-\(n)-\(i + $0)" }
                        i += 16
                        guard (try? c.send(refs.map { Self.line($0) }.joined())) != nil else { return }
                        for ref in refs {
                            guard let reply = try? c.readLine(), let o = HLPReply(line: reply).object,
                                let id = o["incident"]?.stringValue
                            else { return }
                            store.add(ref, g, id)
                        }
                    }
                }
            }
            let killAfter = Double.random(in: 0.3...1.5, using: &rng)
            Thread.sleep(forTimeInterval: killAfter)
            daemon.kill(SIGKILL)
            group.wait()
            try daemon.start(arguments: ["--log-level", "notice"])
            let receipted = store.all
            let problem = verify(daemon, receipted.filter { $0.key.hasPrefix("c\(cycle)-") }, gateways)
            let queue = QueueVerifierRun.files(daemon.folder + "/data/escalations.jsonl")
            daemon.kill(SIGTERM)
            let outcome = Outcome(
                cycle: cycle, killedAfter: killAfter, receipted: receipted.count, queueRecords: queue.count,
                problem: problem ?? queue.problem)
            outcomes.append(outcome)
            progress(outcome)
            if outcome.problem != nil { break }
        }
        return outcomes
    }

    static func line(_ ref: String) -> String {
        #"REPORT {"ref":"\#(ref)","severity":"normal","forms":["physical"],"children":1}"# + "\n"
    }

    /// Resends each receipted ref (pipelined, per gateway) and expects its original receipt as a
    /// duplicate; then closes those incidents.
    static func verify(
        _ daemon: DaemonProcess, _ receipted: [String: (gateway: Int, incident: String)], _ gateways: [(id: String, commune: String)]
    ) -> String? {
        let byGateway = Dictionary(grouping: receipted, by: { $0.value.gateway })
        for (g, entries) in byGateway {
            guard let c = try? LineClient(host: "127.0.0.1", port: daemon.port), (try? c.readLine()) != nil,
                (try? c.send("AUTH \(gateways[g].id) demo-\(gateways[g].id)\n")) != nil, (try? c.readLine()) != nil
            else { return "cannot reconnect" }
            for chunk in stride(from: 0, to: entries.count, by: 256).map({ Array(entries[$0..<min($0 + 256, entries.count)]) }) {
                guard (try? c.send(chunk.map { line($0.key) }.joined())) != nil else { return "send failed" }
                for (ref, value) in chunk {
                    guard let reply = try? c.readLine(), let o = HLPReply(line: reply).object
                    else { return "no reply for \(ref)" }
                    if o["duplicate"] != true || o["incident"]?.stringValue != value.incident {
                        return "receipted \(ref) (\(value.incident)) came back as \(reply.prefix(80))"
                    }
                }
                let closes = chunk.map { #"CLOSE \#($0.value.incident) {"offender_measures":["none"],"victim_support":["none"]}"# + "\n" }
                guard (try? c.send(closes.joined())) != nil else { return "send failed" }
                for _ in chunk { _ = try? c.readLine() }
            }
        }
        return nil
    }
}

/// Checks the queue file and its rotated files.
enum QueueVerifierRun {
    static func files(_ path: String) -> (count: Int, problem: String?) {
        var files: [String] = []
        var i = 1
        while FileManager.default.fileExists(atPath: "\(path).\(i)") {
            files.insert("\(path).\(i)", at: 0)
            i += 1
        }
        files.append(path)
        var v = QueueVerifier()
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { continue }
            do { try v.feed(file: Array(data)) } catch { return (v.count, "queue \(f): \(error)") }
        }
        if let last = v.lastSeq, last != Int64(v.count), v.count > 0, files.count == 1 {
            return (v.count, "queue has \(v.count) records but ends at seq \(last)")
        }
        return (v.count, nil)
    }
}

/// Receipted refs from the load threads.
final class ReceiptStore: @unchecked Sendable {
    // @unchecked: `map` is guarded by `lock`.
    private let lock = NSLock()
    private var map: [String: (gateway: Int, incident: String)] = [:]

    func add(_ ref: String, _ gateway: Int, _ incident: String) {
        lock.lock()
        map[ref] = (gateway, incident)
        lock.unlock()
    }

    var all: [String: (gateway: Int, incident: String)] {
        lock.lock()
        defer { lock.unlock() }
        return map
    }
}
