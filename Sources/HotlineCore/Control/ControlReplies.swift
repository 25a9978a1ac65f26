/// An answer on the operator control socket with a fixed shape: the daemon sends `object`,
/// `hotlinectl` reads it back with `init(object:)` — the one JSON codec of the core, both ways.
public protocol ControlAnswer: Sendable, Equatable {
    var object: JSONObject { get }
    init(object: JSONObject) throws(HLPError)
}

/// Answers on the operator control socket with a fixed shape, encoded by the daemon and decoded
/// by `hotlinectl` from the same types. Answers that are documents (incident lists and views,
/// the audit, the annual report) are JSON objects as the store renders them.
public enum ControlReply {
    /// A refused or failed request.
    public struct Failure: ControlAnswer {
        public var error: String
        public var code: String

        public init(_ code: ErrorCode, _ text: String) {
            error = text
            self.code = code.rawValue
        }

        public var object: JSONObject { ["code": .string(code), "error": .string(error)] }

        public init(object: JSONObject) throws(HLPError) {
            let f = JSONFields(object)
            code = try f.required("code", f.string)
            error = try f.required("error", f.string)
        }
    }

    /// `status`: the daemon at a glance.
    public struct Status: ControlAnswer {
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

        public var object: JSONObject {
            // Keys in byte order, so that the line is stable (a dictionary's order is not).
            func counts(_ d: [String: Int]) -> JSONValue {
                var o = JSONObject()
                for (k, v) in d.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) { o[k] = JSONValue(v) }
                return .object(o)
            }
            return [
                "connections": counts(connections), "open": counts(open), "overdue": counts(overdue),
                "queue_seq": JSONValue(Int(queueSeq)), "server": .string(server), "started_at": .string(startedAt),
                "uptime_s": JSONValue(uptimeSeconds),
            ]
        }

        public init(object: JSONObject) throws(HLPError) {
            let f = JSONFields(object)
            server = try f.required("server", f.string)
            startedAt = try f.required("started_at", f.string)
            uptimeSeconds = try f.required("uptime_s", f.int)
            connections = try f.required("connections", f.intsByName)
            open = try f.required("open", f.intsByName)
            overdue = try f.required("overdue", f.intsByName)
            queueSeq = try f.required("queue_seq", f.int64)
        }
    }

    /// `backup`: where the copy is and what it holds.
    public struct Backup: ControlAnswer {
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

        public var object: JSONObject {
            [
                "bytes": JSONValue(Int(bytes)), "incidents": JSONValue(incidents), "path": .string(path),
                "queue_seq": JSONValue(Int(queueSeq)),
            ]
        }

        public init(object: JSONObject) throws(HLPError) {
            let f = JSONFields(object)
            path = try f.required("path", f.string)
            incidents = try f.required("incidents", f.int)
            queueSeq = try f.required("queue_seq", f.int64)
            bytes = try f.required("bytes", f.int64)
        }
    }

    /// `reload`: the new configuration is in force.
    public struct Reloaded: ControlAnswer {
        public var reloaded: Bool
        public init() { reloaded = true }
        public var object: JSONObject { ["reloaded": .bool(reloaded)] }

        public init(object: JSONObject) throws(HLPError) {
            let f = JSONFields(object)
            reloaded = try f.required("reloaded", f.bool)
        }
    }
}
