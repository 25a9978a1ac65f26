import Foundation
import HotlineCore
import HotlineStore
import Logging
import ServiceLifecycle

/// Chases deadlines: once a second, just after the second turns, it asks the store to
/// escalate every incident whose watched deadline is at or before now. The store keeps the
/// deadlines (an index on `next_due`), so nothing is held in memory and a restart resumes at
/// once: deadlines that passed while the daemon was down escalate on the first tick, marked
/// `catch_up`. Time comes from the injected clock, and so does the wait between ticks: with a
/// `ManualClock` a test moves time and the scheduler follows, without sleeping.
public final class EscalationScheduler: Service, Sendable {
    public let serviceName = "escalation-scheduler"
    private let state: ServerState
    private let logger: Logger
    /// When this daemon started; deadlines before it were missed while it was down.
    public let startedAt: Timestamp

    private let retention: Int64
    private let auditRetention: Int64
    private let clock: any HotlineClock

    public init(
        state: ServerState, clock: any HotlineClock, retention: Int64, auditRetention: Int64 = 5 * 365 * 86_400,
        logger: Logger
    ) {
        self.state = state
        self.clock = clock
        self.logger = logger
        self.retention = retention
        self.auditRetention = auditRetention
        self.startedAt = clock.now()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var nextErasure = self.clock.now()
            while !Task.isCancelled {
                await self.tick()
                // Personal data past its retention: at start, then every minute.
                let now = self.clock.now()
                if now.seconds >= nextErasure.seconds {
                    _ = await self.erasePersonalData(now: now)
                    nextErasure = now.adding(seconds: 60)
                }
                // Until the next whole second.
                do { try await self.clock.sleep(until: now.adding(seconds: 1)) } catch { return }
            }
        }
    }

    /// Runs escalations due at the clock's now until none is left (see
    /// `IncidentStore.escalateDue`: on SQLite, read and decided on a reader while the writer
    /// writes the chunk before).
    public func tick() async {
        let snapshot = state.snapshot
        let result = await state.store.escalateDue(
            now: clock.now(), startedAt: startedAt, deadlines: snapshot.deadlines, ladder: snapshot.ladder,
            directory: snapshot.directory)
        switch result {
        case let .success(n):
            if n > 0 { logger.notice("escalated", metadata: ["escalations": "\(n)"]) }
        case let .failure(error):
            logger.error("escalation run failed; retrying", metadata: ["error": "\(error.wire.text)"])
        }
    }

    /// Erases personal data of incidents closed more than the retention period before `now`.
    public func erasePersonalData(now: Timestamp) async -> Int {
        let retention = self.retention
        let auditBefore = now.adding(seconds: -auditRetention)
        let result = await withCheckedContinuation { continuation in
            state.store.erasePersonalData(closedBefore: now.adding(seconds: -retention), auditBefore: auditBefore, now: now) {
                continuation.resume(returning: $0)
            }
        }
        switch result {
        case let .success(n):
            if n > 0 { logger.notice("personal data erased", metadata: ["incidents": "\(n)"]) }
            return n
        case let .failure(error):
            logger.error("personal data erasure failed; retrying", metadata: ["error": "\(error.wire.text)"])
            return 0
        }
    }
}
