import Foundation

/// The one way tests and the harness wait: for a condition they can check, polled, with a
/// limit — never for a guessed time. Each returns whether (or what) it found; the caller then
/// checks what it needs, so a timeout shows as the failed expectation, not as a hang.
public enum Wait {
    /// Polls `condition` every `interval` seconds until it holds or `seconds` pass. A throwing
    /// check counts as not yet. Returns the last answer.
    @discardableResult
    public static func until(seconds: Double = 20, every interval: Double = 0.02, _ condition: () throws -> Bool) -> Bool {
        value(seconds: seconds, every: interval) { try condition() ? true : nil } ?? false
    }

    /// Polls `produce` until it gives a value (or `seconds` pass: nil).
    public static func value<T>(seconds: Double = 20, every interval: Double = 0.02, _ produce: () throws -> T?) -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let v = try? produce() { return v }
            guard Date() < deadline else { return nil }
            usleep(UInt32(interval * 1_000_000))
        }
    }

    /// `until` for async tests: sleeps without holding a thread.
    @discardableResult
    public static func until(
        seconds: Double = 20, every interval: Double = 0.05, _ condition: () async throws -> Bool
    ) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if (try? await condition()) == true { return true }
            guard Date() < deadline else { return false }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
        }
    }
}
