import HotlineCore
import NIOConcurrencyHelpers

/// The dashboard's sessions, login tokens and login throttle. Pure bookkeeping behind a lock,
/// with the clock injected (seconds), so that expiry and throttling are tested without waiting.
final class DashboardSessions: Sendable {
    struct Session: Sendable, Equatable {
        var operatorName: String
        /// Sent back with state-changing requests (logout): a page of another site cannot know it.
        var csrf: String
        var created: Int64
        var lastSeen: Int64
    }

    /// Failed logins allowed per address and per name within `failureWindow` before further
    /// attempts are refused unchecked.
    static let maxFailures = 5
    static let failureWindow: Int64 = 15 * 60
    /// A login form's token is good for this long, once.
    static let loginTokenLifetime: Int64 = 10 * 60
    /// Sessions and login tokens kept at most (oldest dropped): memory stays bounded.
    static let maxSessions = 1000
    static let maxLoginTokens = 10_000

    private struct State {
        var sessions: [String: Session] = [:]
        var loginTokens: [String: Int64] = [:]
        var failures: [String: [Int64]] = [:]
    }

    let idleTimeout: Int64
    let maxAge: Int64
    let now: @Sendable () -> Int64
    private let state = NIOLockedValueBox(State())

    init(idleTimeout: Int64, maxAge: Int64, now: @escaping @Sendable () -> Int64) {
        self.idleTimeout = idleTimeout
        self.maxAge = maxAge
        self.now = now
    }

    /// 32 random bytes from the system's secure generator (the gateway tokens' generator).
    static func randomToken() -> String { TokenFileEditor.newToken() }

    // MARK: Login form tokens (CSRF-proof login: the form's field must equal its cookie and be ours)

    func newLoginToken() -> String {
        let token = Self.randomToken()
        let t = now()
        state.withLockedValue { s in
            s.loginTokens = s.loginTokens.filter { t - $0.value < Self.loginTokenLifetime }
            if s.loginTokens.count >= Self.maxLoginTokens, let oldest = s.loginTokens.min(by: { $0.value < $1.value }) {
                s.loginTokens[oldest.key] = nil
            }
            s.loginTokens[token] = t
        }
        return token
    }

    /// True once for a token this server issued within its lifetime.
    func consumeLoginToken(_ token: String) -> Bool {
        let t = now()
        return state.withLockedValue { s in
            guard let issued = s.loginTokens.removeValue(forKey: token) else { return false }
            return t - issued < Self.loginTokenLifetime
        }
    }

    // MARK: Throttle

    /// Seconds until another attempt is allowed from `peer` or for `name`, or nil if allowed now.
    func retryAfter(peer: String, name: String) -> Int64? {
        let t = now()
        return state.withLockedValue { s in
            var wait: Int64?
            for key in ["peer:" + peer, "name:" + name] {
                let recent = (s.failures[key] ?? []).filter { t - $0 < Self.failureWindow }
                s.failures[key] = recent.isEmpty ? nil : recent
                if recent.count >= Self.maxFailures, let first = recent.first {
                    wait = max(wait ?? 0, first + Self.failureWindow - t)
                }
            }
            return wait
        }
    }

    func recordFailure(peer: String, name: String) {
        let t = now()
        state.withLockedValue { s in
            for key in ["peer:" + peer, "name:" + name] {
                s.failures[key, default: []].append(t)
                if s.failures[key]!.count > Self.maxFailures { s.failures[key]!.removeFirst() }
            }
            if s.failures.count > 100_000 { s.failures.removeAll() }  // bounded, whatever the flood
        }
    }

    func clearFailures(name: String) {
        _ = state.withLockedValue { $0.failures.removeValue(forKey: "name:" + name) }
    }

    // MARK: Sessions

    func create(operatorName: String) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let t = now()
        let session = Session(operatorName: operatorName, csrf: Self.randomToken(), created: t, lastSeen: t)
        state.withLockedValue { s in
            s.sessions = s.sessions.filter { self.alive($0.value, at: t) }
            if s.sessions.count >= Self.maxSessions, let oldest = s.sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                s.sessions[oldest.key] = nil
            }
            s.sessions[id] = session
        }
        return (id, session)
    }

    /// The live session of `id` (and it is used now), or nil: unknown, idle too long, or too old.
    func use(_ id: String) -> Session? {
        let t = now()
        return state.withLockedValue { s in
            guard var session = s.sessions[id] else { return nil }
            guard alive(session, at: t) else {
                s.sessions[id] = nil
                return nil
            }
            session.lastSeen = t
            s.sessions[id] = session
            return session
        }
    }

    func end(_ id: String) { _ = state.withLockedValue { $0.sessions.removeValue(forKey: id) } }

    private func alive(_ s: Session, at t: Int64) -> Bool {
        t - s.lastSeen < idleTimeout && t - s.created < maxAge
    }
}
