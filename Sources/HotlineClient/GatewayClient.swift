import Foundation
import HotlineCore

/// A commune gateway's client: connects (TLS when configured), authenticates, and sends
/// requests; reconnects with exponential backoff and jitter, and retries `unavailable` and
/// `rate-limited`; every other error is surfaced.
public final class GatewayClient: @unchecked Sendable {
    // @unchecked: used from one thread at a time (the CLI); `connection` is its only state.
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var gateway: String
        public var token: String
        public var tls: TLSOptions?
        /// Attempts for one request before giving up with the last temporary error.
        public var attempts = 4
        /// First backoff; doubled each attempt, with ±50 % jitter, at most `maxBackoff`.
        public var backoff: TimeInterval = 0.2
        public var maxBackoff: TimeInterval = 5

        public init(host: String, port: Int, gateway: String, token: String, tls: TLSOptions? = nil) {
            self.host = host
            self.port = port
            self.gateway = gateway
            self.token = token
            self.tls = tls
        }
    }

    public let settings: Settings
    private var connection: HLPConnection?

    public init(_ settings: Settings) { self.settings = settings }

    func connected() throws -> HLPConnection {
        if let connection { return connection }
        let c = try HLPConnection(host: settings.host, port: settings.port, tls: settings.tls)
        switch try c.request("AUTH \(settings.gateway) \(settings.token)") {
        case .ok: break
        case let .err("auth-failed", text):
            c.close()
            throw HLPClientError.credentials(
                "the daemon refused the token of \(settings.gateway) (auth-failed: \(text)); put the gateway's current token in its token file")
        case let .err(code, text):
            c.close()
            throw HLPClientError.refused(code: code, text: text)
        }
        connection = c
        return c
    }

    /// Sends pipelined requests; temporary failures are retried (the whole remainder) with
    /// backoff. Returns each request's reply object or error.
    public func send(_ lines: [String]) -> [Result<JSONObject, HLPClientError>] {
        var results = [Result<JSONObject, HLPClientError>?](repeating: nil, count: lines.count)
        var delay = settings.backoff
        for attempt in 1...settings.attempts {
            let todo = results.indices.filter { results[$0] == nil || (results[$0].map(Self.isTemporary) ?? false) }
            if todo.isEmpty { break }
            do {
                let replies = try connected().requests(todo.map { lines[$0] })
                for (i, reply) in zip(todo, replies) {
                    switch reply {
                    case let .ok(o): results[i] = .success(o)
                    case let .err(code, text): results[i] = .failure(.refused(code: code, text: text))
                    }
                }
            } catch let error as HLPClientError {
                connection?.close()
                connection = nil
                for i in todo { results[i] = .failure(error) }
                if !error.isTemporary { break }  // AUTH refused: no point retrying
            } catch {
                connection = nil
                for i in todo { results[i] = .failure(.connection("\(error)")) }
            }
            let pendingTemporary = results.contains { $0.map(Self.isTemporary) ?? true }
            if !pendingTemporary || attempt == settings.attempts { break }
            let jitter = Double.random(in: 0.5...1.5)
            Thread.sleep(forTimeInterval: min(settings.maxBackoff, delay * jitter))
            delay *= 2
        }
        return results.map { $0 ?? .failure(.connection("not sent")) }
    }

    public func request(_ line: String) -> Result<JSONObject, HLPClientError> { send([line])[0] }

    public func status(_ incident: String) -> Result<JSONObject, HLPClientError> { request("STATUS \(incident)") }

    /// ACK, ATTEND, CLOSE or RETRACT with an optional JSON body.
    public func act(_ verb: String, _ incident: String, _ body: JSONObject?) -> Result<JSONObject, HLPClientError> {
        request("\(verb) \(incident)" + (body.map { " " + $0.jsonText } ?? ""))
    }

    static func isTemporary(_ r: Result<JSONObject, HLPClientError>) -> Bool {
        if case let .failure(e) = r { return e.isTemporary }
        return false
    }
}
