import Foundation
import HotlineCore

extension Configuration {
    /// Reads and checks a configuration file. Unknown sections and keys are errors, so that a
    /// typo never silently leaves a default in force.
    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        let text = try ProtectedFile.read(path, what: "configuration")
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let base = (absolute as NSString).deletingLastPathComponent
        var config = try parse(text, baseDirectory: base, name: path)
        config.sourcePath = absolute
        return config
    }

    public static func parse(_ text: String, baseDirectory: String, name: String) throws(ConfigurationError) -> Configuration {
        let table: TOMLTable
        do {
            table = try TOML.parse(text)
        } catch {
            throw ConfigurationError("\(name):\(error)")
        }
        var c = Configuration()
        func fail(_ why: String) -> ConfigurationError { ConfigurationError("\(name): \(why)") }
        func path(_ p: String) -> String {
            p.hasPrefix("/") ? p : ((baseDirectory as NSString).appendingPathComponent(p) as NSString).standardizingPath
        }
        let sections = ["server", "storage", "directory", "gateways", "escalation", "deadlines", "limits", "retention", "tls", "control", "metrics", "triage", "dashboard"]
        for key in table.keys where !sections.contains(key) {
            throw fail("unknown section [\(key)] (known: \(sections.joined(separator: ", ")))")
        }
        func section(_ name: String, _ keys: [String]) throws(ConfigurationError) -> TOMLTable? {
            guard let value = table[name] else { return nil }
            guard let t = value.table else { throw fail("[\(name)] must be a table") }
            for key in t.keys where !keys.contains(key) {
                throw fail("unknown key \(name).\(key) (known: \(keys.joined(separator: ", ")))")
            }
            return t
        }
        func string(_ t: TOMLTable, _ section: String, _ key: String) throws(ConfigurationError) -> String? {
            guard let v = t[key] else { return nil }
            guard let s = v.string, !s.isEmpty else { throw fail("\(section).\(key) must be a non-empty string") }
            return s
        }
        if let t = try section("server", ["listen", "name", "max_line_bytes"]) {
            if let listen = try string(t, "server", "listen") {
                guard let (host, port) = parseListen(listen) else {
                    throw fail("server.listen must be HOST:PORT (IPv6 as [::1]:7300), not \"\(listen)\"")
                }
                c.server.host = host
                c.server.port = port
            }
            if let n = try string(t, "server", "name") {
                guard n.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }), n.utf8.count <= 64 else {
                    throw fail("server.name must be one word of at most 64 bytes without spaces or control characters")
                }
                c.server.name = n
            }
            if let v = t["max_line_bytes"] {
                guard let n = v.int, (256...1_048_576).contains(n) else {
                    throw fail("server.max_line_bytes must be a whole number from 256 to 1048576")
                }
                c.server.maxLineBytes = n
            }
        }
        let storage = try section("storage", ["data_dir", "backend", "url", "password_file", "require_synchronous_commit"])
        var dataDir: String?
        if let t = storage { dataDir = try string(t, "storage", "data_dir") }
        c.storage.dataDir = path(dataDir ?? c.storage.dataDir)
        if let t = storage {
            if let b = try string(t, "storage", "backend") {
                guard let backend = Storage.Backend(rawValue: b) else {
                    throw fail("storage.backend must be \"sqlite\" or \"postgresql\", not \"\(b)\"")
                }
                c.storage.backend = backend
            }
            c.storage.url = try string(t, "storage", "url")
            c.storage.passwordFile = try string(t, "storage", "password_file").map(path)
            if let v = t["require_synchronous_commit"] {
                guard let b = v.bool else { throw fail("storage.require_synchronous_commit must be true or false") }
                c.storage.requireSynchronousCommit = b
            }
        }
        if c.storage.backend == .postgresql, c.storage.url == nil {
            throw fail("storage.backend = \"postgresql\" needs storage.url (postgresql://USER@HOST:PORT/DATABASE)")
        }
        if let url = c.storage.url {
            guard c.storage.backend == .postgresql else {
                throw fail("storage.url is for backend = \"postgresql\"; the SQLite store lives in data_dir")
            }
            if let scheme = url.range(of: "://"), url[scheme.upperBound...].prefix(while: { $0 != "@" && $0 != "/" }).contains(":") {
                throw fail("storage.url must not hold a password: put it in storage.password_file")
            }
        }
        if let t = try section("directory", ["path"]), let d = try string(t, "directory", "path") {
            c.directoryPath = path(d)
        } else {
            c.directoryPath = path(c.directoryPath)
        }
        if let t = try section("gateways", ["tokens"]), let d = try string(t, "gateways", "tokens") {
            c.tokensPath = path(d)
        } else {
            c.tokensPath = path(c.tokensPath)
        }
        c.queueFile = path(c.queueFile)
        if let t = try section("escalation", ["queue_file", "rotate_bytes", "keep_files", "ack_levels", "attend_from_level"]) {
            if let d = try string(t, "escalation", "queue_file") { c.queueFile = path(d) }
            if let v = t["rotate_bytes"] {
                guard let n = v.int, n >= 4096 else { throw fail("escalation.rotate_bytes must be a whole number of at least 4096") }
                c.queueRotateBytes = Int64(n)
            }
            if let v = t["keep_files"] {
                guard let n = v.int, (1...1000).contains(n) else { throw fail("escalation.keep_files must be from 1 to 1000") }
                c.queueKeepFiles = n
            }
            if let v = t["ack_levels"] {
                guard let a = v.array else { throw fail("escalation.ack_levels must be an array such as [1, 2, 3, 4, 5]") }
                var levels: [Int] = []
                for item in a {
                    guard let n = item.int else { throw fail("escalation.ack_levels must hold whole numbers") }
                    levels.append(n)
                }
                c.ladder.ackLevels = levels
            }
            if let v = t["attend_from_level"] {
                guard let n = v.int else { throw fail("escalation.attend_from_level must be a whole number") }
                c.ladder.attendFromLevel = n
            }
            if let problem = c.ladder.problem { throw fail("escalation: \(problem)") }
        }
        if let t = try section("deadlines", Severity.allCases.map(\.rawValue)) {
            for severity in Severity.allCases {
                guard let v = t[severity.rawValue] else { continue }
                let key = "deadlines.\(severity.rawValue)"
                guard let w = v.table else { throw fail("\(key) must be a table such as { ack = \"10m\", attend = \"1h\" }") }
                for k in w.keys where k != "ack" && k != "attend" { throw fail("unknown key \(key).\(k) (known: ack, attend)") }
                var windows = c.deadlines[severity]
                for (k, apply) in [("ack", { (s: Int64) in windows.ack = s }), ("attend", { (s: Int64) in windows.attend = s })] {
                    guard let raw = w[k] else { continue }
                    guard let text = raw.string, let seconds = DurationText.seconds(text) else {
                        throw fail("\(key).\(k) must be a duration such as \"90s\", \"10m\", \"1h\" or \"2d\"")
                    }
                    apply(seconds)
                }
                c.deadlines.windows[severity] = windows
            }
        }
        if let t = try section(
            "limits",
            [
                "max_connections", "max_connections_per_peer", "max_unauthenticated", "max_unauthenticated_per_peer",
                "auth_timeout", "idle_timeout", "line_timeout", "rate", "burst", "pre_auth_rate", "pre_auth_burst",
                "control_connections", "control_timeout", "metrics_connections", "metrics_timeout",
            ])
        {
            func count(_ key: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
                guard let v = t[key] else { return nil }
                guard let n = v.int, range.contains(n) else {
                    throw fail("limits.\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                }
                return n
            }
            func duration(_ key: String) throws(ConfigurationError) -> Int64? {
                guard let v = t[key] else { return nil }
                guard let text = v.string, let seconds = DurationText.seconds(text) else {
                    throw fail("limits.\(key) must be a duration such as \"10s\", \"5m\" or \"1h\"")
                }
                return seconds
            }
            func number(_ key: String) throws(ConfigurationError) -> Double? {
                guard let v = t[key] else { return nil }
                guard let n = v.double ?? v.int.map(Double.init), n > 0, n <= 1_000_000 else {
                    throw fail("limits.\(key) must be a number above 0 and at most 1000000")
                }
                return n
            }
            if let n = try count("max_connections", 1...1_000_000) { c.limits.maxConnections = n }
            if let n = try count("max_connections_per_peer", 1...1_000_000) { c.limits.maxConnectionsPerPeer = n }
            if let d = try duration("auth_timeout") { c.limits.authTimeout = d }
            if let d = try duration("idle_timeout") { c.limits.idleTimeout = d }
            if let d = try duration("line_timeout") { c.limits.lineTimeout = d }
            if let n = try number("rate") { c.limits.rate = n }
            if let n = try number("burst") { c.limits.burst = max(1, n) }
            if let n = try count("max_unauthenticated", 1...1_000_000) { c.limits.maxUnauthenticated = n }
            if let n = try count("max_unauthenticated_per_peer", 1...1_000_000) { c.limits.maxUnauthenticatedPerPeer = n }
            if let n = try number("pre_auth_rate") { c.limits.preAuthRate = n }
            if let n = try number("pre_auth_burst") { c.limits.preAuthBurst = max(1, n) }
            if let n = try count("control_connections", 1...1024) { c.limits.controlConnections = n }
            if let d = try duration("control_timeout") { c.limits.controlTimeout = d }
            if let n = try count("metrics_connections", 1...1024) { c.limits.metricsConnections = n }
            if let d = try duration("metrics_timeout") { c.limits.metricsTimeout = d }
        }
        if let t = try section("tls", ["listen", "certificate", "key", "client_ca"]) {
            guard let cert = try string(t, "tls", "certificate"), let key = try string(t, "tls", "key") else {
                throw fail("[tls] needs certificate and key (PEM files)")
            }
            var tls = Configuration.TLS(certificate: path(cert), key: path(key))
            if let listen = try string(t, "tls", "listen") {
                guard let (host, port) = parseListen(listen) else {
                    throw fail("tls.listen must be HOST:PORT (IPv6 as [::]:7343), not \"\(listen)\"")
                }
                tls.host = host
                tls.port = port
            }
            tls.clientCA = try string(t, "tls", "client_ca").map(path)
            c.tls = tls
            if !c.listensOnLoopbackOnly {
                throw fail("with [tls], server.listen (plain TCP) must be a loopback address; gateways use tls.listen")
            }
        }
        if let t = try section("control", ["socket"]), let p = try string(t, "control", "socket") {
            c.controlSocket = path(p)
        }
        if let t = try section("metrics", ["listen"]), let listen = try string(t, "metrics", "listen") {
            guard let (host, port) = parseListen(listen) else {
                throw fail("metrics.listen must be HOST:PORT, not \"\(listen)\"")
            }
            let h = host.lowercased()
            guard h == "localhost" || h == "::1" || h.hasPrefix("127.") else {
                throw fail("metrics.listen must be a loopback address (the metrics are for this server's Prometheus)")
            }
            c.metricsListen = (host, port)
        }
        if let t = try section("dashboard", ["listen", "operators", "session_idle", "session_max"]) {
            var d = Configuration.Dashboard()
            d.operatorsPath = path("operators")
            if let listen = try string(t, "dashboard", "listen") {
                guard let (host, port) = parseListen(listen) else {
                    throw fail("dashboard.listen must be HOST:PORT (IPv6 as [::1]:7380), not \"\(listen)\"")
                }
                d.host = host
                d.port = port
            }
            if let p = try string(t, "dashboard", "operators") { d.operatorsPath = path(p) }
            for (key, minimum) in [("session_idle", Int64(60)), ("session_max", Int64(60))] {
                guard let v = t[key] else { continue }
                guard let text = v.string, let seconds = DurationText.seconds(text), seconds >= minimum, seconds <= 7 * 86_400 else {
                    throw fail("dashboard.\(key) must be a duration from 1m to 7d, such as \"30m\"")
                }
                if key == "session_idle" { d.idleTimeout = seconds } else { d.maxAge = seconds }
            }
            c.dashboard = d
        }
        if let t = try section("triage", ["max_shelter_per_commune"]), let v = t["max_shelter_per_commune"] {
            guard let n = v.int, (0...100_000).contains(n) else {
                throw fail("triage.max_shelter_per_commune must be a whole number from 0 to 100000")
            }
            c.maxShelterPerCommune = n
        }
        if let t = try section("retention", ["personal_data", "audit"]) {
            if let v = t["personal_data"] {
                guard let text = v.string, let seconds = DurationText.seconds(text) else {
                    throw fail("retention.personal_data must be a duration such as \"180d\"")
                }
                c.personalDataRetention = seconds
            }
            if let v = t["audit"] {
                guard let text = v.string, let seconds = DurationText.seconds(text) else {
                    throw fail("retention.audit must be a duration such as \"1825d\"")
                }
                c.auditRetention = seconds
            }
        }
        if let d = c.dashboard, !isLoopback(d.host), c.tls == nil {
            throw fail("dashboard.listen \(d.host) is not a loopback address: it is served over TLS only, so [tls] (certificate and key) is needed")
        }
        return c
    }

    /// `HOST:PORT` or `[IPV6]:PORT`.
    static func parseListen(_ text: String) -> (String, Int)? {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}
