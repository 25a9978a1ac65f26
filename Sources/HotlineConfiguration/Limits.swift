/// Resource limits that defend the daemon against slow, greedy or hostile clients. Every one
/// is configurable in `[limits]`; the defaults suit a province of a few hundred gateways.
public struct Limits: Sendable, Equatable {
    /// Connections open at once, all peers together. Beyond: `ERR unavailable` and close.
    public var maxConnections = 2048
    /// Connections open at once from one IP address. Beyond: `ERR unavailable` and close.
    public var maxConnectionsPerPeer = 32
    /// Connections not yet authenticated, all peers together: a share of `maxConnections`, so
    /// that connections that never authenticate cannot take the room gateways need. When it is
    /// full, the oldest unauthenticated connection is closed to admit the new one (an attacker
    /// holding slots loses them; a gateway authenticates within a round trip).
    public var maxUnauthenticated = 512
    /// Connections not yet authenticated from one IP address. Beyond: `ERR unavailable` and close.
    public var maxUnauthenticatedPerPeer = 8
    /// Requests before AUTH (PING, AUTH, unknown verbs…) per second per IP address, all its
    /// connections together, and the burst above it. Beyond: `ERR rate-limited` and close, so
    /// that clients without a token cannot take the daemon's CPU.
    public var preAuthRate: Double = 20
    public var preAuthBurst: Double = 100
    /// Operator control socket: connections at once, and how long one may stay silent.
    public var controlConnections = 16
    public var controlTimeout: Int64 = 60
    /// Prometheus port: connections at once, and how long one may take to send its request.
    public var metricsConnections = 8
    public var metricsTimeout: Int64 = 10
    /// A connection must authenticate within this many seconds, or it is closed.
    public var authTimeout: Int64 = 10
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Int64 = 600
    /// A line that has started must end (LF) within this long (slow-loris defence).
    public var lineTimeout: Int64 = 30
    /// Requests per second per gateway (all its connections together), sustained.
    public var rate: Double = 100
    /// Requests a gateway may send in a burst above the rate.
    public var burst: Double = 500

    public init() {}
}
