import Foundation
import HotlineConfiguration
import HotlineCore

/// `hotline-notify`'s configuration (`/etc/hotline/notify.toml`): where the daemon's own
/// configuration is (for the queue file, the directory and the control socket), the gateway's
/// spool, the contacts, the text's language, retries and the rate per recipient. Every key is
/// optional; the defaults are documented in `Config/notify.toml`.
public struct NotifyConfiguration: Sendable, Equatable {
    /// The daemon's configuration file.
    public var daemonConfig = "/etc/hotline/hotlined.toml"
    /// The ledger (SQLite) and the metrics file; created 0700.
    public var stateDir = "/var/lib/hotline-notify"
    /// Commune chairmen, commune police, child protection, districts, the province.
    public var contacts = "/etc/hotline/contacts.csv"
    public var language = Language.vi
    /// Local time for the deadline in the text, seconds east of UTC (Vietnam: +7 h).
    public var utcOffset: Int64 = 7 * 3600
    /// For numbers written nationally (`0912…`).
    public var countryCode = "84"
    /// smstools' spool: `outgoing`, `checked`, `sent`, `failed`, `incoming` beneath it.
    public var spool = "/var/spool/sms"
    /// A failed message is sent again this many times in all (the first attempt included)...
    public var maxAttempts = 5
    /// ... after this long, doubled after each failure (at most an hour).
    public var backoff: Int64 = 60
    /// At most this many messages to one number per window; beyond, one digest per `digestEvery`.
    public var perRecipient = 5
    public var window: Int64 = 15 * 60
    public var digestEvery: Int64 = 60
    /// Incoming `OK INC-…` replies become acknowledgements through the daemon.
    public var replies = true

    public enum Language: String, Sendable, Equatable { case vi, en }

    public init() {}

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// Reads the file (refused, like the daemon's, when its group or others may write it).
    public static func load(path: String) throws(Failure) -> NotifyConfiguration {
        let text: String
        do {
            text = try ProtectedFile.read(path, what: "notifier configuration")
        } catch {
            throw Failure("\(error)")
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return try parse(text, baseDirectory: (absolute as NSString).deletingLastPathComponent, name: path)
    }

    public static func parse(_ text: String, baseDirectory: String, name: String) throws(Failure) -> NotifyConfiguration {
        let table: TOMLTable
        do { table = try TOML.parse(text) } catch { throw Failure("\(name):\(error)") }
        var c = NotifyConfiguration()
        func path(_ v: String) -> String { v.hasPrefix("/") ? v : baseDirectory + "/" + v }
        func string(_ t: TOMLTable, _ k: String, _ where_: String) throws(Failure) -> String? {
            guard let v = t[k] else { return nil }
            guard let s = v.string, !s.isEmpty else { throw Failure("\(name): \(where_)\(k) must be a non-empty string") }
            return s
        }
        func int(_ t: TOMLTable, _ k: String, _ where_: String, _ range: ClosedRange<Int>) throws(Failure) -> Int? {
            guard let v = t[k] else { return nil }
            guard let n = v.int, range.contains(n) else {
                throw Failure("\(name): \(where_)\(k) must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        func duration(_ t: TOMLTable, _ k: String, _ where_: String) throws(Failure) -> Int64? {
            guard let v = t[k] else { return nil }
            guard let s = v.string, let n = DurationText.seconds(s) else {
                throw Failure("\(name): \(where_)\(k) must be a duration such as \"30s\", \"1m\", \"2h\"")
            }
            return n
        }
        func only(_ t: TOMLTable, _ keys: Set<String>, _ where_: String) throws(Failure) {
            for k in t.keys where !keys.contains(k) {
                throw Failure("\(name): unknown key \(where_)\(k) (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }
        try only(table, ["daemon_config", "state_dir", "contacts", "language", "utc_offset", "country_code", "smstools", "retry", "rate", "replies"], "")
        if let s = try string(table, "daemon_config", "") { c.daemonConfig = path(s) }
        if let s = try string(table, "state_dir", "") { c.stateDir = path(s) }
        if let s = try string(table, "contacts", "") { c.contacts = path(s) }
        if let s = try string(table, "language", "") {
            guard let l = Language(rawValue: s) else { throw Failure("\(name): language must be \"vi\" or \"en\"") }
            c.language = l
        }
        if let s = try string(table, "utc_offset", "") {
            guard let o = Self.offset(s) else { throw Failure("\(name): utc_offset must look like \"+07:00\"") }
            c.utcOffset = o
        }
        if let s = try string(table, "country_code", "") {
            guard s.allSatisfy({ $0.isASCII && $0.isNumber }), !s.hasPrefix("0"), (1...3).contains(s.count) else {
                throw Failure("\(name): country_code must be 1 to 3 digits, such as \"84\"")
            }
            c.countryCode = s
        }
        if let v = table["replies"] {
            guard let b = v.bool else { throw Failure("\(name): replies must be true or false") }
            c.replies = b
        }
        func section(_ k: String) throws(Failure) -> TOMLTable? {
            guard let v = table[k] else { return nil }
            guard let t = v.table else { throw Failure("\(name): [\(k)] must be a table") }
            return t
        }
        if let t = try section("smstools") {
            try only(t, ["spool"], "smstools.")
            if let s = try string(t, "spool", "smstools.") { c.spool = path(s) }
        }
        if let t = try section("retry") {
            try only(t, ["max_attempts", "backoff"], "retry.")
            if let n = try int(t, "max_attempts", "retry.", 1...100) { c.maxAttempts = n }
            if let n = try duration(t, "backoff", "retry.") { c.backoff = n }
        }
        if let t = try section("rate") {
            try only(t, ["per_recipient", "window", "digest_every"], "rate.")
            if let n = try int(t, "per_recipient", "rate.", 1...1_000_000) { c.perRecipient = n }
            if let n = try duration(t, "window", "rate.") { c.window = n }
            if let n = try duration(t, "digest_every", "rate.") { c.digestEvery = n }
        }
        return c
    }

    /// `+07:00` → 25200.
    static func offset(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "+") || u[0] == UInt8(ascii: "-"), u[3] == UInt8(ascii: ":"),
            let h = Int64(String(decoding: u[1...2], as: UTF8.self)), let m = Int64(String(decoding: u[4...5], as: UTF8.self)),
            h <= 14, m < 60
        else { return nil }
        return (u[0] == UInt8(ascii: "-") ? -1 : 1) * (h * 3600 + m * 60)
    }
}
