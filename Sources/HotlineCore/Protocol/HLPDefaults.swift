/// Protocol limits and defaults of HLP/1, in one place. See hotline-protocol(7) (systemd/man/hotline-protocol.7.md).
public enum HLPDefaults {
    /// Longest request line, in bytes before the LF (a dropped CR excluded).
    public static let maxLineBytes = 16_384
    /// Failed AUTH attempts on one connection: from `authDelayFrom` the reply is delayed,
    /// at `authCloseAt` the connection is closed.
    public static let authDelayFrom = 3
    public static let authCloseAt = 5
    /// Delay of an `auth-failed` reply from the third failure on, in milliseconds.
    public static let authFailureDelayMilliseconds: Int64 = 1_000
    /// How far in the future `reported_at` may be.
    public static let maxFutureSkewSeconds: Int64 = 300
    /// The earliest time a request may carry (`reported_at`, and through it every `at`):
    /// 2000-01-01T00:00:00Z. With the future limit, every time the server writes has a
    /// four-digit year.
    public static let earliestTimeSeconds: Int64 = 946_684_800
    /// A point farther than this from every known place is outside the service area.
    public static let serviceAreaMeters = 10_000.0
    /// Requests accepted on one connection while earlier replies are still pending; beyond
    /// this the server stops reading from that connection until replies drain.
    public static let maxPipelinedRequests = 256
    public static let protocolVersion = 1
}
