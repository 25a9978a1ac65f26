import Foundation

/// Answers on the operator control socket with a fixed shape, encoded by the daemon and decoded
/// by `hotlinectl` from the same types. Answers that are documents (incident lists and views,
/// the audit, the annual report) are JSON objects as the store renders them.
public enum ControlReply {
    /// A refused or failed request.
    public struct Failure: Codable, Sendable, Equatable {
        public var error: String
        public var code: String

        public init(_ code: ErrorCode, _ text: String) {
            error = text
            self.code = code.rawValue
        }
    }

    /// `status`: the daemon at a glance.
    public struct Status: Codable, Sendable, Equatable {
        public var server: String
        public var startedAt: String
        public var uptimeSeconds: Int
        /// Open connections per authenticated gateway ("-" for not yet authenticated).
        public var connections: [String: Int]
        /// Open and overdue incidents per severity.
        public var open: [String: Int]
        public var overdue: [String: Int]
        public var queueSeq: Int64

        public init(
            server: String, startedAt: String, uptimeSeconds: Int, connections: [String: Int], open: [String: Int],
            overdue: [String: Int], queueSeq: Int64
        ) {
            self.server = server
            self.startedAt = startedAt
            self.uptimeSeconds = uptimeSeconds
            self.connections = connections
            self.open = open
            self.overdue = overdue
            self.queueSeq = queueSeq
        }

        enum CodingKeys: String, CodingKey {
            case server, startedAt = "started_at", uptimeSeconds = "uptime_s", connections, open, overdue
            case queueSeq = "queue_seq"
        }
    }

    /// `backup`: where the copy is and what it holds.
    public struct Backup: Codable, Sendable, Equatable {
        public var path: String
        public var incidents: Int
        public var queueSeq: Int64
        public var bytes: Int64

        public init(path: String, incidents: Int, queueSeq: Int64, bytes: Int64) {
            self.path = path
            self.incidents = incidents
            self.queueSeq = queueSeq
            self.bytes = bytes
        }

        enum CodingKeys: String, CodingKey {
            case path, incidents, queueSeq = "queue_seq", bytes
        }
    }

    /// `reload`: the new configuration is in force.
    public struct Reloaded: Codable, Sendable, Equatable {
        public var reloaded: Bool
        public init() { reloaded = true }
    }

    /// A typed answer as the JSON object the socket carries (keys sorted, so the line is stable).
    public static func object<T: Encodable>(_ value: T) -> JSONObject {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), case let .object(o)? = try? JSONParser.parse(Array(data)) else {
            return ["error": "cannot encode the answer", "code": .string(ErrorCode.internal.rawValue)]
        }
        return o
    }

    /// A typed answer from the object received.
    public static func decode<T: Decodable>(_ type: T.Type, from object: JSONObject) throws -> T {
        try JSONDecoder().decode(type, from: Data(object.jsonText.utf8))
    }
}
