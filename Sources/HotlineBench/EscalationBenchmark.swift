import Foundation
import HotlineCore
import HotlineStore

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

    public static func run(open: Int = 100_000, folder: String) async throws -> Result {
        let path = folder + "/escalation.sqlite"
        let dueDate = (Date().timeIntervalSince1970 + 5).rounded(.down)
        let due = Timestamp(seconds: Int64(dueDate))
        try StoreSeeder.seed(path: path, closed: 0, open: open, due: due)
        let store = try IncidentStore(path: path)
        defer { store.close() }
        let directory = NationalDirectory.make(communes: 10, responders: 100)
        let wait = dueDate + 0.005 - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
        var latenesses: [Double] = []
        var runs = 0
        while true {
            let now = Timestamp(seconds: Int64(Date().timeIntervalSince1970.rounded(.down)))
            let outcome: Swift.Result<(escalated: Int, more: Bool), HLPError> = await withCheckedContinuation { c in
                store.submit(
                    EscalationRun(
                        now: now, startedAt: Timestamp(seconds: 0), deadlines: .defaults, ladder: .default,
                        directory: directory, completion: { c.resume(returning: $0) }))
            }
            let done = Date().timeIntervalSince1970 - dueDate
            runs += 1
            let (escalated, more) = try outcome.get()
            latenesses += Array(repeating: done, count: escalated)
            if !more { break }
        }
        latenesses.sort()
        func pct(_ p: Double) -> Double { latenesses[min(latenesses.count - 1, Int(p * Double(latenesses.count)))] }
        return Result(incidents: latenesses.count, runs: runs, p50: pct(0.5), p99: pct(0.99), max: latenesses.last ?? 0)
    }
}

extension HLPError {
    var asError: any Error { BlockingLineClient.Failure(description: "\(code.rawValue) \(text)") }
}

extension Swift.Result where Failure == HLPError {
    func get() throws -> Success {
        switch self {
        case let .success(v): v
        case let .failure(e): throw e.asError
        }
    }
}
