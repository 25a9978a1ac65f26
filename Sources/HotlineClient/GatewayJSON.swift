import HotlineCore

/// `hotline-gateway --json`: one JSON object per command on standard output, times as the spool
/// and the daemon keep them (RFC 3339, UTC). The shapes are documented in
/// hotline-gateway-kit(7), "JSON output"; tests read them back.
public enum GatewayJSON {
    /// What became of one report after `send` or `new`: `state` is `delivered` (with the
    /// daemon's receipt), `refused` (with the daemon's reason), `spooled` (waiting for the
    /// province, with the gateway's own triage as `offline` when it has a directory) or
    /// `waiting_for_token`.
    public static func report(ref: String, entry: Spool.Entry?, credentials: String?, offline: JSONObject?) -> JSONObject {
        var o = JSONObject()
        let state: String
        switch entry?.state {
        case "delivered": state = "delivered"
        case "refused": state = "refused"
        default: state = credentials == nil ? "spooled" : "waiting_for_token"
        }
        o["state"] = .string(state)
        o["ref"] = .string(ref)
        o["receipt"] = entry?.receipt.map { .object($0) } ?? .null
        o["error"] = JSONValue(state == "waiting_for_token" ? credentials : entry?.error)
        o["offline"] = state == "delivered" || state == "refused" ? .null : (offline.map { .object($0) } ?? .null)
        return o
    }

    /// Reports in the spool not yet receipted, oldest first, and the deliveries whose assignee
    /// differs from the one the gateway named offline.
    public static func pending(_ entries: [Spool.Entry], changed: [Spool.Entry]) -> JSONObject {
        var o = JSONObject()
        o["count"] = JSONValue(entries.count)
        o["pending"] = .array(entries.map { e in
            var p = JSONObject()
            p["ref"] = .string(e.ref)
            p["reported_at"] = e.body["reported_at"] ?? .null
            p["severity"] = e.body["severity"] ?? .null
            p["error"] = JSONValue(e.error)
            return .object(p)
        })
        o["changed_assignments"] = changedAssignments(changed)
        return o
    }

    /// `flush`: what was delivered, refused and is still pending.
    public static func flush(_ r: Spool.FlushOutcome, changed: [Spool.Entry]) -> JSONObject {
        var o = JSONObject()
        o["delivered"] = JSONValue(r.delivered)
        o["refused"] = JSONValue(r.refused)
        o["pending"] = JSONValue(r.pending)
        o["credentials"] = JSONValue(r.credentials)
        o["changed_assignments"] = changedAssignments(changed)
        return o
    }

    /// A case verb or STATUS that did not get an OK: `state` `refused` (with the daemon's
    /// code), `unavailable` (no connection: try again) or `waiting_for_token`.
    public static func failure(_ e: HLPClientError) -> JSONObject {
        var o = JSONObject()
        switch e {
        case let .refused(code, text):
            o["state"] = .string(e.isTemporary ? "unavailable" : "refused")
            o["code"] = .string(code)
            o["error"] = .string(text)
        case let .connection(why):
            o["state"] = "unavailable"
            o["code"] = .null
            o["error"] = .string(why)
        case let .credentials(why):
            o["state"] = "waiting_for_token"
            o["code"] = .null
            o["error"] = .string(why)
        }
        return o
    }

    static func changedAssignments(_ entries: [Spool.Entry]) -> JSONValue {
        .array(entries.map { e in
            var c = JSONObject()
            c["incident"] = e.receipt?["incident"] ?? .null
            c["ref"] = .string(e.ref)
            c["assigned"] = e.receipt?["assigned"] ?? .null
            c["shown_offline"] = JSONValue(e.localAssigned)
            return .object(c)
        })
    }
}
