import HotlineCore

/// The daemon's configuration (the TOML file documented in Config/hotlined.toml and the
/// README). Relative paths are resolved against the configuration file's folder.
public struct Configuration: Sendable, Equatable {
    public struct Server: Sendable, Equatable {
        /// Host (IPv4, IPv6 or a name) and port to listen on. Default 127.0.0.1:7300.
        public var host = "127.0.0.1"
        public var port = 7300
        /// Shown in the greeting and in AUTH replies.
        public var name = "hotline"
        /// Longest request line in bytes. Default 16384.
        public var maxLineBytes = HLPDefaults.maxLineBytes
    }

    public struct Storage: Sendable, Equatable {
        /// Folder of the SQLite database (and of the control socket's default); created mode
        /// 0700 if missing.
        public var dataDir = "data"
        public var databasePath: String { dataDir + "/hotline.sqlite" }
        /// `sqlite` (default: one server, the file in `dataDir`) or `postgresql`.
        public var backend = Backend.sqlite
        /// PostgreSQL: `postgresql://USER@HOST:PORT[,HOST:PORT…]/DATABASE`, no password.
        public var url: String?
        /// PostgreSQL: a file holding the password (one line), if the server asks for one.
        public var passwordFile: String?
        /// PostgreSQL: refuse to start unless `synchronous_commit` makes a commit wait for the
        /// disk (on or remote_apply). Default true.
        public var requireSynchronousCommit = true

        public enum Backend: String, Sendable, Equatable {
            case sqlite
            case postgresql
        }
    }

    /// TLS for gateways on the province network (`[tls]`). Plain TCP then serves loopback only.
    public struct TLS: Sendable, Equatable {
        /// Host and port of the TLS listener. Default 0.0.0.0:7343.
        public var host = "0.0.0.0"
        public var port = 7343
        /// PEM file with the server certificate chain.
        public var certificate: String
        /// PEM file with the server's private key.
        public var key: String
        /// PEM file of the CA that signs gateway certificates; when set, a client certificate is
        /// required and AUTH succeeds only for a gateway id named in it (DNS subject alternative name).
        public var clientCA: String?

        public init(certificate: String, key: String, clientCA: String? = nil) {
            self.certificate = certificate
            self.key = key
            self.clientCA = clientCA
        }
    }

    public var server = Server()
    public var tls: TLS?
    public var storage = Storage()
    /// Folder holding communes.csv, villages.csv, responders.csv and hotlines.csv.
    public var directoryPath = "ninh-binh"
    /// The gateway token file.
    public var tokensPath = "gateways.tokens"
    /// The escalation queue file; its folder is created mode 0700 if missing.
    public var queueFile = "data/escalations.jsonl"
    /// The queue file is rotated (renamed `<name>.1`) when it reaches this size. Default 64 MiB.
    public var queueRotateBytes: Int64 = 64 << 20
    /// Rotated queue files kept (`<name>.1` … `<name>.N`). Default 10.
    public var queueKeepFiles = 10
    /// How missed deadlines climb the escalation levels.
    public var ladder = EscalationLadder.default
    public var deadlines = DeadlineTable.defaults
    public var limits = Limits()
    /// Shelter places one commune may hold at once (`[triage] max_shelter_per_commune`).
    /// Beyond it a receipt's shelter is null and an escalation record alerts the province.
    /// Default 10.
    public var maxShelterPerCommune = 10
    /// The operator control socket (mode 0660). Default /run/hotline/control.sock.
    public var controlSocket = "/run/hotline/control.sock"
    /// Loopback address for Prometheus (`GET /metrics`); none by default.
    public var metricsListen: (host: String, port: Int)?
    /// The province dashboard (`[dashboard]`); none by default.
    public var dashboard: Dashboard?

    /// The read-only web page for operators (`[dashboard]`).
    public struct Dashboard: Sendable, Equatable {
        /// Default 127.0.0.1:7380 (loopback: reach it through an SSH tunnel). Any other address
        /// is served over TLS only, with `[tls]`'s certificate and key.
        public var host = "127.0.0.1"
        public var port = 7380
        /// The operators and their password hashes (`hotlinectl operator add`). Default
        /// `operators` beside the configuration (the package: /etc/hotline/operators).
        public var operatorsPath = "operators"
        /// A session ends after this long without a request. Default 30 minutes.
        public var idleTimeout: Int64 = 30 * 60
        /// ... and this long after its login in any case. Default 12 hours.
        public var maxAge: Int64 = 12 * 3600
        public init() {}
    }

    public static func == (a: Configuration, b: Configuration) -> Bool {
        a.server == b.server && a.storage == b.storage && a.tls == b.tls && a.directoryPath == b.directoryPath
            && a.tokensPath == b.tokensPath && a.queueFile == b.queueFile && a.deadlines == b.deadlines
            && a.limits == b.limits && a.controlSocket == b.controlSocket && a.metricsListen?.host == b.metricsListen?.host
            && a.metricsListen?.port == b.metricsListen?.port && a.ladder == b.ladder
            && a.queueRotateBytes == b.queueRotateBytes && a.queueKeepFiles == b.queueKeepFiles
            && a.personalDataRetention == b.personalDataRetention && a.sourcePath == b.sourcePath
            && a.maxShelterPerCommune == b.maxShelterPerCommune && a.auditRetention == b.auditRetention
            && a.dashboard == b.dashboard
    }
    /// Seconds after closure when caller, summary, close note and retraction reason are erased.
    /// Default 180 days.
    public var personalDataRetention: Int64 = 180 * 86_400
    /// Seconds an audit record (a read of personal data, an operator action) is kept. Default
    /// 5 years (1825 days).
    public var auditRetention: Int64 = 1825 * 86_400
    /// The file this came from, if any.
    public var sourcePath: String?

    public init() {}

    /// Whether the listen host is a loopback address.
    public var listensOnLoopbackOnly: Bool { Self.isLoopback(server.host) }

    /// The configured listen hosts that are not loopback: the plain listener and the TLS one.
    public var exposedHosts: [String] {
        ([server.host] + (tls.map { [$0.host] } ?? [])).filter { !Self.isLoopback($0) }
    }

    /// Whether a host names the loopback interface (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h.hasPrefix("127.") || h.hasPrefix("::ffff:127.")
    }
}

/// A configuration that cannot be used, with the file and the reason.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
