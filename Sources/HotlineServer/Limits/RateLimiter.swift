import NIOConcurrencyHelpers
import NIOCore

/// Token buckets per gateway: `rate` tokens a second up to `burst`; a request takes one.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: NIODeadline
    }

    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])
    let rate: Double
    let burst: Double

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// Takes a token for `key` if one is left.
    public func allow(_ key: String, now: NIODeadline = .now()) -> Bool {
        buckets.withLockedValue { buckets in
            // Bounded memory with many keys (peer addresses): forget buckets that are full again.
            // Pruned once when the table fills, not on every call: if most buckets are still in
            // use, all are forgotten (they start full again), so the cost stays amortised.
            if buckets.count >= 65_536 {
                let rate = self.rate, burst = self.burst
                buckets = buckets.filter { Double((now - $0.value.updated).nanoseconds) / 1e9 * rate + $0.value.tokens < burst }
                if buckets.count >= 32_768 { buckets.removeAll() }
            }
            var b = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = Double((now - b.updated).nanoseconds) / 1e9
            b.tokens = min(burst, b.tokens + max(0, elapsed) * rate)
            b.updated = now
            let allowed = b.tokens >= 1
            if allowed { b.tokens -= 1 }
            buckets[key] = b
            return allowed
        }
    }
}
