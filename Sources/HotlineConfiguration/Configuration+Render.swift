import HotlineCore

extension Configuration {
    /// The configuration as a TOML file that `Configuration.load` reads back equal (paths
    /// absolute): what the test harness writes for a daemon it starts as another process.
    public var tomlText: String {
        func quoted(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                            + String(scalar.value, radix: 16)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        func listen(_ host: String, _ port: Int) -> String { quoted(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)") }
        func duration(_ seconds: Int64) -> String { quoted("\(seconds)s") }
        func number(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? "\(Int64(d)).0" : "\(d)" }
        var lines = [
            "[server]",
            "listen = \(listen(server.host, server.port))",
            "name = \(quoted(server.name))",
            "max_line_bytes = \(server.maxLineBytes)",
            "[storage]",
            "data_dir = \(quoted(storage.dataDir))",
            "backend = \(quoted(storage.backend.rawValue))",
            "require_synchronous_commit = \(storage.requireSynchronousCommit)",
            "[directory]",
            "path = \(quoted(directoryPath))",
            "[gateways]",
            "tokens = \(quoted(tokensPath))",
            "[escalation]",
            "queue_file = \(quoted(queueFile))",
            "rotate_bytes = \(queueRotateBytes)",
            "keep_files = \(queueKeepFiles)",
            "ack_levels = [\(ladder.ackLevels.map(String.init).joined(separator: ", "))]",
            "attend_from_level = \(ladder.attendFromLevel)",
            "[deadlines]",
        ]
        if let at = lines.firstIndex(of: "[directory]") {
            lines.insert(
                contentsOf: [storage.url.map { "url = \(quoted($0))" }, storage.passwordFile.map { "password_file = \(quoted($0))" }]
                    .compactMap { $0 }, at: at)
        }
        for s in Severity.allCases {
            lines.append("\(s.rawValue) = { ack = \(duration(deadlines[s].ack)), attend = \(duration(deadlines[s].attend)) }")
        }
        lines += [
            "[control]",
            "socket = \(quoted(controlSocket))",
            "[limits]",
            "max_connections = \(limits.maxConnections)",
            "max_connections_per_peer = \(limits.maxConnectionsPerPeer)",
            "max_unauthenticated = \(limits.maxUnauthenticated)",
            "max_unauthenticated_per_peer = \(limits.maxUnauthenticatedPerPeer)",
            "auth_timeout = \(duration(limits.authTimeout))",
            "idle_timeout = \(duration(limits.idleTimeout))",
            "line_timeout = \(duration(limits.lineTimeout))",
            "rate = \(number(limits.rate))",
            "burst = \(number(limits.burst))",
            "pre_auth_rate = \(number(limits.preAuthRate))",
            "pre_auth_burst = \(number(limits.preAuthBurst))",
            "control_connections = \(limits.controlConnections)",
            "control_timeout = \(duration(limits.controlTimeout))",
            "metrics_connections = \(limits.metricsConnections)",
            "metrics_timeout = \(duration(limits.metricsTimeout))",
            "[triage]",
            "max_shelter_per_commune = \(maxShelterPerCommune)",
            "[retention]",
            "personal_data = \(duration(personalDataRetention))",
            "audit = \(duration(auditRetention))",
        ]
        if let m = metricsListen { lines += ["[metrics]", "listen = \(listen(m.host, m.port))"] }
        if let d = dashboard {
            lines += [
                "[dashboard]", "listen = \(listen(d.host, d.port))", "operators = \(quoted(d.operatorsPath))",
                "session_idle = \(duration(d.idleTimeout))", "session_max = \(duration(d.maxAge))",
            ]
        }
        if let tls {
            lines += [
                "[tls]", "listen = \(listen(tls.host, tls.port))", "certificate = \(quoted(tls.certificate))",
                "key = \(quoted(tls.key))",
            ]
            if let ca = tls.clientCA { lines.append("client_ca = \(quoted(ca))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
