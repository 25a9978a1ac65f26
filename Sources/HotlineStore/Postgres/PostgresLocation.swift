import Foundation

/// Where the PostgreSQL store is: `postgresql://user@host1:port1,host2:port2/database`. The
/// password never comes from the URL (it would sit in the configuration file): from
/// `password_file`, or none (trust, peer or a client certificate).
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var hosts: [(host: String, port: Int)]
    public var database: String
    public var password: String?

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(url: String, password: String? = nil) throws {
        let prefixes = ["postgresql://", "postgres://"]
        guard let prefix = prefixes.first(where: { url.hasPrefix($0) }) else {
            throw Invalid(description: "storage url must start with postgresql:// (got \(url.prefix(40)))")
        }
        var rest = Substring(url.dropFirst(prefix.count))
        if let q = rest.firstIndex(of: "?") {
            throw Invalid(description: "storage url takes no parameters (\(rest[q...].prefix(40))); use the configuration's keys")
        }
        guard let at = rest.firstIndex(of: "@") else {
            throw Invalid(description: "storage url must name the user: postgresql://USER@HOST:PORT/DATABASE")
        }
        let userPart = rest[..<at]
        guard !userPart.contains(":") else {
            throw Invalid(description: "storage url must not hold a password: put it in [storage] password_file")
        }
        guard !userPart.isEmpty else { throw Invalid(description: "storage url names no user") }
        user = String(userPart)
        rest = rest[rest.index(after: at)...]
        guard let slash = rest.firstIndex(of: "/") else {
            throw Invalid(description: "storage url must name the database: postgresql://USER@HOST:PORT/DATABASE")
        }
        let db = rest[rest.index(after: slash)...]
        guard !db.isEmpty, !db.contains("/") else { throw Invalid(description: "storage url names no database") }
        database = String(db)
        var hosts: [(String, Int)] = []
        for part in rest[..<slash].split(separator: ",", omittingEmptySubsequences: false) {
            var host = Substring(part)
            var port = 5432
            if let colon = part.lastIndex(of: ":"), !part.hasSuffix("]") {
                guard let p = Int(part[part.index(after: colon)...]), (1...65535).contains(p) else {
                    throw Invalid(description: "storage url: bad port in \(part)")
                }
                port = p
                host = part[..<colon]
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            guard !host.isEmpty else { throw Invalid(description: "storage url: empty host in \(rest[..<slash])") }
            hosts.append((String(host), port))
        }
        guard !hosts.isEmpty else { throw Invalid(description: "storage url names no host") }
        self.hosts = hosts
        self.password = password
    }

    /// Without the password.
    public var description: String {
        "postgresql://\(user)@" + hosts.map { "\($0.host):\($0.port)" }.joined(separator: ",") + "/\(database)"
    }

    public static func == (a: PostgresLocation, b: PostgresLocation) -> Bool {
        a.description == b.description && a.password == b.password
    }
}
