/// Resource limits that defend the daemon against slow, greedy or hostile clients. Every one
/// is configurable in `[limits]`; the defaults suit a province of a few hundred gateways.
public struct Limits: Sendable, Equatable {
    /// Connections open at once, all peers together. Beyond: `ERR unavailable` and close.
    public var maxConnections = 2048
    /// Connections open at once from one IP address. Beyond: `ERR unavailable` and close.
    public var maxConnectionsPerPeer = 32
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
