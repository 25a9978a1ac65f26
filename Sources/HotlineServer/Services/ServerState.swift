import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineStore
import NIOConcurrencyHelpers

/// What every connection shares: the current directory, tokens and deadlines (swapped as a
/// whole on reload), the store and the clock.
public final class ServerState: Sendable {
    public struct Snapshot: Sendable {
        public var directory: Directory
        public var tokens: GatewayTokens
        public var deadlines: DeadlineTable
        public var ladder: EscalationLadder
    }

    public let serverName: String
    public let maxLineBytes: Int
    public let store: IncidentStore
    /// The one clock: what "now" is for requests, deadlines, the dashboard and the scheduler.
    public let clock: any HotlineClock
    public let limits: Limits
    /// Shelter places one commune may hold at once.
    public let maxShelterPerCommune: Int
    public let rateLimiter: RateLimiter
    /// Requests before AUTH, per peer address.
    public let preAuthLimiter: RateLimiter
    public let metrics = HotlineMetrics()
    private let current: NIOLockedValueBox<Snapshot>

    public init(
        serverName: String, maxLineBytes: Int, snapshot: Snapshot, store: IncidentStore, limits: Limits = Limits(), maxShelterPerCommune: Int = 10,
        clock: any HotlineClock = SystemClock()
    ) {
        self.limits = limits
        self.maxShelterPerCommune = maxShelterPerCommune
        self.rateLimiter = RateLimiter(rate: limits.rate, burst: limits.burst)
        self.preAuthLimiter = RateLimiter(rate: limits.preAuthRate, burst: limits.preAuthBurst)
        self.serverName = serverName
        self.maxLineBytes = maxLineBytes
        self.store = store
        self.clock = clock
        self.current = NIOLockedValueBox(snapshot)
    }

    public var snapshot: Snapshot {
        get { current.withLockedValue { $0 } }
        set { current.withLockedValue { $0 = newValue } }
    }
}
