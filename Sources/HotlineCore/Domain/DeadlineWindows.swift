/// Acknowledgement and attendance windows for one severity, in seconds.
public struct DeadlineWindows: Sendable, Equatable {
    public var ack: Int64
    public var attend: Int64

    public init(ack: Int64, attend: Int64) {
        self.ack = ack
        self.attend = attend
    }
}

/// Windows for every severity.
public struct DeadlineTable: Sendable, Equatable {
    public var windows: [Severity: DeadlineWindows]

    public init(windows: [Severity: DeadlineWindows]) { self.windows = windows }

    /// Defaults: critical 10 min / 1 h, high 30 min / 4 h, normal 2 h / 24 h, low 24 h / 72 h.
    public static let defaults = DeadlineTable(windows: [
        .critical: DeadlineWindows(ack: 600, attend: 3600),
        .high: DeadlineWindows(ack: 1800, attend: 4 * 3600),
        .normal: DeadlineWindows(ack: 2 * 3600, attend: 24 * 3600),
        .low: DeadlineWindows(ack: 24 * 3600, attend: 72 * 3600),
    ])

    public subscript(severity: Severity) -> DeadlineWindows {
        windows[severity] ?? DeadlineTable.defaults.windows[severity]!
    }
}
