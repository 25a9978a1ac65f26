import Foundation
import HotlineHarness
import HotlineCore
import HotlineLineClient
import HotlineStore
import Logging

/// Lateness of escalation when `open` incidents fall due in the same second: the store is
/// seeded, then runs start at the due second exactly as the scheduler's tick does, back to
/// back until nothing is due. Each incident's lateness is the time its run committed minus
/// its due time.
public enum EscalationBenchmark {
    public struct Result: Sendable {
        public var incidents: Int
        public var runs: Int
        public var p50: Double
        public var p99: Double
        public var max: Double
    }

    /// `spread`: the deadlines fall evenly over this many seconds (1: all in the same second).
    /// Runs tick once a second like the scheduler, until every incident has escalated once.
    /// On PostgreSQL: a throwaway server on loopback (one server, `synchronous_commit = on`),
    /// seeded before the due second like the SQLite file.
    /// `readOnWriter`: the writer reads and decides each run itself (the design before the
    /// reader-prepared runs), for comparison in the same conditions.
    public static func run(
        open: Int = 100_000, spread: Int = 1, folder: String, backend: StoreBackend = .sqlite, readOnWriter: Bool = false
    ) async throws -> Result {
        var cluster: PostgresCluster?
        let store: IncidentStore
        // Seeding 100,000 rows takes a few seconds: the due second comes after it.
        let lead: Double = backend == .sqlite ? 5 : 20
        let dueDate = (Date().timeIntervalSince1970 + lead).rounded(.down)
        let due = Timestamp(seconds: Int64(dueDate))
        switch backend {
        case .sqlite:
            let path = folder + "/escalation.sqlite"
            try StoreSeeder.seed(path: path, closed: 0, open: open, due: due, spread: spread)
            store = try IncidentStore(path: path)
        case .postgresql:
            let server = try PostgresCluster()
            cluster = server
            let connect: () throws -> IncidentStore = {
                try IncidentStore(
                    postgres: try PostgresEngine(
                        location: try PostgresLocation(url: server.url), logger: Logger(label: "bench.postgres"),
                        lockLost: { print("lock lost: \($0)") }))
            }
            try connect().close()  // migrates the schema
            try StoreSeeder.seedPostgres(server, open: open, due: due, spread: spread)
            store = try connect()
        }
        defer {
            store.close()
            withExtendedLifetime(cluster) {}
        }
        let directory = NationalDirectory.make(communes: 10, responders: 100)
        let wait = dueDate + 0.005 - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        var latenesses: [Double] = []
        var runs = 0
        // Like the scheduler: at each second (just after it turns), escalate what is due.
        var tick = dueDate
        while latenesses.count < open {
            let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970.rounded(.down)))
            // As the scheduler's tick: every incident due now, each run's commit time recorded.
            let commits = CommitTimes()
            let outcome = await store.escalateDue(
                now: now, startedAt: Timestamp(seconds: 0), deadlines: .defaults, ladder: .default, directory: directory,
                readOnWriter: readOnWriter, committed: { n in commits.add(n, at: Date().timeIntervalSince1970) })
            _ = try outcome.get()
            for (escalated, done) in commits.all {
                runs += 1
                // Runs take the oldest deadlines first, and open/spread incidents fall due in each
                // second, so the k-th escalated incident was due at dueDate + k / perSecond.
                let perSecond = max(1, open / max(1, spread))
                let first = latenesses.count
                latenesses += (first..<(first + escalated)).map { k in done - (dueDate + Double(k / perSecond)) }
            }
            tick += 1
            let wait = tick + 0.005 - Date().timeIntervalSince1970
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        }
        latenesses.sort()
        func pct(_ p: Double) -> Double { latenesses[min(latenesses.count - 1, Int(p * Double(latenesses.count)))] }
        return Result(incidents: latenesses.count, runs: runs, p50: pct(0.5), p99: pct(0.99), max: latenesses.last ?? 0)
    }
}

/// Each run's escalations and commit time, in commit order.
final class CommitTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int, Double)] = []
    func add(_ n: Int, at t: Double) { lock.withLock { items.append((n, t)) } }
    var all: [(Int, Double)] { lock.withLock { items } }
}

extension HLPError {
    var asError: any Error { LineClient.Failure(description: "\(code.rawValue) \(text)") }
}

extension Swift.Result where Failure == HLPError {
    func get() throws -> Success {
        switch self {
        case let .success(v): v
        case let .failure(e): throw e.asError
        }
    }
}
