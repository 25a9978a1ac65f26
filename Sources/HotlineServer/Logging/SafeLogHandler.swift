import Foundation
import HotlineCore
import Logging
import NIOConcurrencyHelpers

/// The daemon's log handler: one line per event on standard error (journald adds the time),
/// in swift-log's stream format, with two defences:
///
/// - Everything that reaches a line is made safe: a control character or bidirectional
///   override in a message, metadata key or value (an operator id, an incident id, a peer's
///   text) is escaped, so no input can forge a log line or drive the terminal of whoever reads it.
/// - Repeated lines are rate-limited: at most `burst` lines with the same level and message
///   per `window`; the rest are counted and reported once per window ("… N similar lines
///   suppressed"), so a flood of hostile connections cannot flood the journal.
public struct SafeLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let limiter: RepeatLimiter
    private let write: @Sendable (String) -> Void

    public init(
        label: String, limiter: RepeatLimiter = .shared,
        write: @escaping @Sendable (String) -> Void = SafeLogHandler.standardError
    ) {
        self.label = label
        self.limiter = limiter
        self.write = write
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        write(level: event.level, message: event.message, metadata: event.metadata, source: event.source)
    }

    private func write(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String) {
        let text = message.description
        let (allowed, suppressedBefore) = limiter.admit(key: "\(level) \(text)")
        if suppressedBefore > 0 {
            write(
                Self.render(
                    level: .warning, label: label, metadata: ["log.suppressed": "\(suppressedBefore)"],
                    message: "earlier: \(text)", source: source))
        }
        guard allowed else { return }
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit { all.merge(explicit) { $1 } }
        write(Self.render(level: level, label: label, metadata: all, message: text, source: source))
    }

    /// `<time> <level> <label> : k=v k=v [source] message` with every part made safe.
    static func render(level: Logger.Level, label: String, metadata: Logger.Metadata, message: String, source: String)
        -> String
    {
        let fields = metadata.sorted { $0.key < $1.key }.map { "\(SafeText.escaped($0.key))=\(SafeText.escaped("\($0.value)"))" }
        let stamp = Timestamp(seconds: Int64(Date().timeIntervalSince1970)).rfc3339
        return "\(stamp) \(level) \(SafeText.escaped(label)) :\(fields.isEmpty ? "" : " " + fields.joined(separator: " ")) [\(SafeText.escaped(source))] \(SafeText.escaped(message))\n"
    }
}

/// Counts lines per key in fixed windows: the first `burst` of a window pass, the rest are
/// suppressed and reported when the key is next seen in a later window.
public final class RepeatLimiter: Sendable {
    public static let shared = RepeatLimiter(burst: 20, windowSeconds: 10)

    private struct Entry {
        var windowStart: Int64
        var count: Int
        var suppressed: Int
    }
    private let burst: Int
    private let windowSeconds: Int64
    private let now: @Sendable () -> Int64
    private let entries = NIOLockedValueBox([String: Entry]())

    public init(
        burst: Int, windowSeconds: Int64,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.burst = burst
        self.windowSeconds = windowSeconds
        self.now = now
    }

    /// Whether a line with `key` may be written now, and how many lines of that key were
    /// suppressed in earlier windows (to be reported first).
    public func admit(key: String) -> (allowed: Bool, suppressedBefore: Int) {
        let t = now()
        return entries.withLockedValue { entries in
            if entries.count > 10_000 { entries.removeAll() }  // bounded: messages are constant strings
            var e = entries[key] ?? Entry(windowStart: t, count: 0, suppressed: 0)
            var reported = 0
            if t - e.windowStart >= windowSeconds {
                reported = e.suppressed
                e = Entry(windowStart: t, count: 0, suppressed: 0)
            }
            e.count += 1
            let allowed = e.count <= burst
            if !allowed { e.suppressed += 1 }
            entries[key] = e
            return (allowed, reported)
        }
    }
}
