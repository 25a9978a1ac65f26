import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineStore
import NIOConcurrencyHelpers

/// What every gateway connection shares: the current directory, tokens and deadlines (swapped
/// as a whole on reload), the clock, the limits, and where durable requests go. No database:
/// the connection handler runs on this alone (its tests with a `RequestSink` of their own).
public final class IntakeContext: Sendable {
    public struct Snapshot: Sendable {
        public var directory: Directory
        public var tokens: GatewayTokens
        public var deadlines: DeadlineTable
        public var ladder: EscalationLadder
    }

    public let serverName: String
    public let maxLineBytes: Int
    /// REPORTs, case actions and audited STATUS reads, answered once durable.
    public let requests: any RequestSink
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
        serverName: String, maxLineBytes: Int, snapshot: Snapshot, requests: any RequestSink, limits: Limits = Limits(),
        maxShelterPerCommune: Int = 10, clock: any HotlineClock = SystemClock()
    ) {
        self.limits = limits
        self.maxShelterPerCommune = maxShelterPerCommune
        self.rateLimiter = RateLimiter(rate: limits.rate, burst: limits.burst)
        self.preAuthLimiter = RateLimiter(rate: limits.preAuthRate, burst: limits.preAuthBurst)
        self.serverName = serverName
        self.maxLineBytes = maxLineBytes
        self.requests = requests
        self.clock = clock
        self.current = NIOLockedValueBox(snapshot)
    }

    public var snapshot: Snapshot {
        get { current.withLockedValue { $0 } }
        set { current.withLockedValue { $0 = newValue } }
    }
}

/// What the whole daemon shares: the gateway connections' context and the store itself (for
/// the operator socket, the dashboard, the scheduler and backups).
public final class ServerState: Sendable {
    public typealias Snapshot = IntakeContext.Snapshot

    public let intake: IntakeContext
    public let store: IncidentStore

    public init(
        serverName: String, maxLineBytes: Int, snapshot: Snapshot, store: IncidentStore, limits: Limits = Limits(),
        maxShelterPerCommune: Int = 10, clock: any HotlineClock = SystemClock()
    ) {
        self.store = store
        self.intake = IntakeContext(
            serverName: serverName, maxLineBytes: maxLineBytes, snapshot: snapshot, requests: store, limits: limits,
            maxShelterPerCommune: maxShelterPerCommune, clock: clock)
    }

    public var maxLineBytes: Int { intake.maxLineBytes }
    public var clock: any HotlineClock { intake.clock }
    public var limits: Limits { intake.limits }
    public var metrics: HotlineMetrics { intake.metrics }
    public var snapshot: Snapshot {
        get { intake.snapshot }
        set { intake.snapshot = newValue }
    }
}
