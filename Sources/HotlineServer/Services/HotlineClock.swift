import Foundation
import HotlineCore
import NIOConcurrencyHelpers

/// The daemon's time: what "now" is, and how to wait for a later time. Everything that reads
/// the time or waits for it (deadlines, the escalation scheduler, retention) goes through
/// one, so that a test can drive it with `ManualClock` instead of sleeping.
public protocol HotlineClock: Sendable {
    func now() -> Timestamp
    /// Returns once `now()` has reached `time` (or throws when the task is cancelled).
    func sleep(until time: Timestamp) async throws
}

/// The wall clock.
public struct SystemClock: HotlineClock {
    public init() {}

    public func now() -> Timestamp { Timestamp(seconds: Int64(Date().timeIntervalSince1970.rounded(.down))) }

    /// Sleeps to just past the start of `time`'s second.
    public func sleep(until time: Timestamp) async throws {
        let wait = Double(time.seconds) + 0.005 - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
    }
}

/// A clock that moves only when told (`advance`): sleepers whose time has come are resumed
/// then. For tests and benchmarks that need hours to pass in no time, in order.
public final class ManualClock: HotlineClock {
    private struct State {
        var now: Timestamp
        var sleepers: [(id: Int, until: Timestamp, continuation: CheckedContinuation<Void, Error>)] = []
        var nextID = 0
    }
    private let state: NIOLockedValueBox<State>

    public init(_ start: Timestamp) { state = NIOLockedValueBox(State(now: start)) }

    public func now() -> Timestamp { state.withLockedValue { $0.now } }

    /// How many tasks are waiting on this clock (a test can wait for the scheduler to sleep).
    public var sleeperCount: Int { state.withLockedValue { $0.sleepers.count } }

    public func advance(by seconds: Int64) {
        let due = state.withLockedValue { s -> [CheckedContinuation<Void, Error>] in
            s.now = s.now.adding(seconds: seconds)
            let now = s.now
            let due = s.sleepers.filter { $0.until.seconds <= now.seconds }
            s.sleepers.removeAll { $0.until.seconds <= now.seconds }
            return due.map(\.continuation)
        }
        for c in due { c.resume() }
    }

    public func sleep(until time: Timestamp) async throws {
        let id = state.withLockedValue { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let resumeNow = state.withLockedValue { s -> Bool in
                    if s.now.seconds >= time.seconds || Task.isCancelled { return true }
                    s.sleepers.append((id, time, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let cancelled = state.withLockedValue { s -> CheckedContinuation<Void, Error>? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}
