import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server for tests and benchmarks: `initdb` in a temporary folder (as
/// the `postgres` account when run by root, as PostgreSQL requires), started on a loopback
/// port with its socket in the folder, stopped and removed at the end. A standby is another
/// cluster made from a primary with `pg_basebackup -R`.
public final class PostgresCluster: @unchecked Sendable {
    public let folder: String
    public let port: Int
    public let bin: String
    private let asPostgres: [String]
    private var removed = false

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The newest installed PostgreSQL's programs, or nil.
    public static var binaries: String? {
        let root = "/usr/lib/postgresql"
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: root) else { return nil }
        return versions.compactMap(Int.init).sorted().last.map { "\(root)/\($0)/bin" }
    }

    public var data: String { folder + "/data" }
    /// The URL the daemon is given (database `hotline`, user `postgres`, trust on loopback).
    public var url: String { "postgresql://postgres@127.0.0.1:\(port)/hotline" }

    /// A new primary (`initdb`), or a standby of `primaryOf` (`pg_basebackup -R`), started.
    /// `settings` are `-c` options (e.g. `synchronous_standby_names='*'`).
    public init(standbyOf primary: PostgresCluster? = nil, settings: [String] = []) throws {
        guard let bin = Self.binaries else {
            throw Unavailable(description: "PostgreSQL is not installed (apt-get install postgresql)")
        }
        self.bin = bin
        port = DaemonProcess.freePort()
        folder = NSTemporaryDirectory() + "hotline-pg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if geteuid() == 0 {
            guard let pw = getpwnam("postgres") else { throw Unavailable(description: "no postgres account") }
            chown(folder, pw.pointee.pw_uid, pw.pointee.pw_gid)
            asPostgres = ["/usr/bin/setpriv", "--reuid", "\(pw.pointee.pw_uid)", "--regid", "\(pw.pointee.pw_gid)", "--init-groups"]
        } else {
            asPostgres = []
        }
        if let primary {
            try runChecked(
                asPostgres + ["\(bin)/pg_basebackup", "-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "postgres", "-D", data, "-R", "-X", "stream", "-c", "fast", "--no-sync"],
                "pg_basebackup")
        } else {
            try runChecked(asPostgres + ["\(bin)/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], "initdb")
        }
        var options = ["-p \(port)", "-k \(folder)", "-c listen_addresses=127.0.0.1", "-c fsync=on", "-c wal_level=replica"]
        options += settings.map { "-c \($0)" }
        try FileManager.default.createDirectory(atPath: folder + "/run", withIntermediateDirectories: true)
        try runChecked(asPostgres + ["\(bin)/pg_ctl", "-D", data, "-w", "-t", "60", "-l", folder + "/log", "-o", options.joined(separator: " "), "start"], "pg_ctl start")
        if primary == nil {
            try psql("CREATE DATABASE hotline", database: "postgres")
        }
    }

    /// Runs a command with its output in a file (never a pipe: the server it may start would
    /// hold the pipe open); throws with that output if it fails.
    private func runChecked(_ command: [String], _ what: String) throws {
        let (status, output) = try Self.run(command, outputPath: folder + "/out-\(UUID().uuidString)")
        guard status == 0 else {
            let log = (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? ""
            throw Unavailable(description: "\(what) failed (\(status)): \(output)\n\(log.suffix(2000))")
        }
    }

    /// posix_spawn and waitpid, output to a file: Foundation's `Process` did not see pg_ctl
    /// exit here (its child stayed a zombie, never reaped, and the wait never ended).
    static func run(_ command: [String], outputPath: String) throws -> (Int32, String) {
        let fd = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw Unavailable(description: "cannot create \(outputPath)") }
        fchmod(fd, 0o666)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        close(fd)
        guard spawned == 0 else { throw Unavailable(description: "cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        unlink(outputPath)
        // WIFEXITED / WEXITSTATUS by hand (macros in C).
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, text)
    }

    /// A login role (superuser, for the daemon's schema) that must give `password` on
    /// loopback: a `scram-sha-256` line for it alone, before the trust lines.
    public func addPasswordRole(_ role: String, password: String) throws {
        try psql("CREATE ROLE \(role) LOGIN SUPERUSER PASSWORD '\(password)'", database: "postgres")
        let hba = data + "/pg_hba.conf"
        let rules = try String(contentsOfFile: hba, encoding: .utf8)
        try ("host all \(role) 127.0.0.1/32 scram-sha-256\n" + rules).write(toFile: hba, atomically: false, encoding: .utf8)
        try psql("SELECT pg_reload_conf()", database: "postgres")
    }

    /// Runs SQL through psql as the superuser; its output (`-At`: bare values).
    @discardableResult
    public func psql(_ sql: String, database: String = "hotline") throws -> String {
        let (status, output) = try Self.run(
            ["\(bin)/psql", "-X", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            outputPath: NSTemporaryDirectory() + "hotline-psql-" + UUID().uuidString)
        guard status == 0 else { throw Unavailable(description: "psql (\(sql.prefix(60))): \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Promotes a standby to primary, waiting until it is.
    public func promote() throws {
        try runChecked(asPostgres + ["\(bin)/pg_ctl", "-D", data, "-w", "promote"], "pg_ctl promote")
    }

    /// The postmaster's process id (from postmaster.pid), for a SIGKILL.
    public var postmasterPID: pid_t? {
        guard let text = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first
        else { return nil }
        return pid_t(first)
    }

    /// Kills the server as a crash would: SIGKILL to the postmaster, then its children.
    public func crash() {
        guard let pid = postmasterPID else { return }
        // Its backends too (read before: once it dies they belong to init), so that every
        // connection drops at once and the port is free.
        let children = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
            .split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        Glibc.kill(pid, SIGKILL)
        for child in children { Glibc.kill(child, SIGKILL) }
        for _ in 0..<100 where Glibc.kill(pid, 0) == 0 { usleep(20_000) }
    }

    /// Stops the server: `fast` (clean) or `immediate` (no checkpoint, like a crash).
    public func stop(_ mode: String = "fast") {
        _ = try? Self.run(asPostgres + ["\(bin)/pg_ctl", "-D", data, "-w", "-m", mode, "stop"], outputPath: folder + "/out-stop")
    }

    deinit {
        stop("immediate")
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// The storage backends a test or benchmark can run the daemon on.
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgresql
    public var description: String { rawValue }
}

extension PostgresCluster {
    fileprivate static let sharedState = SharedCluster()

    /// One server for a whole test run (a database per test), stopped when the process exits.
    public static func shared() throws -> PostgresCluster { try sharedState.get() }

    /// A fresh, empty database on the shared server; its URL.
    public static func newDatabase() throws -> String {
        let cluster = try shared()
        let name = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try cluster.psql("CREATE DATABASE \(name)", database: "postgres")
        return "postgresql://postgres@127.0.0.1:\(cluster.port)/\(name)"
    }

    /// The database of a daemon's folder on the shared server: made on first use and
    /// remembered in the folder, so that a daemon restarted on the folder finds its data.
    public static func database(forFolder folder: String) throws -> String {
        let file = folder + "/postgresql.url"
        if let url = try? String(contentsOfFile: file, encoding: .utf8) { return url }
        let url = try newDatabase()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try url.write(toFile: file, atomically: true, encoding: .utf8)
        return url
    }
}

private final class SharedCluster: @unchecked Sendable {
    // @unchecked: `cluster` is guarded by `lock`.
    private let lock = NSLock()
    private var cluster: PostgresCluster?

    func get() throws -> PostgresCluster {
        lock.lock()
        defer { lock.unlock() }
        if let cluster { return cluster }
        let started = try PostgresCluster()
        cluster = started
        atexit { PostgresCluster.sharedState.stop() }
        return started
    }

    func stop() {
        lock.lock()
        let c = cluster
        cluster = nil
        lock.unlock()
        c?.stop("immediate")
        if let c { try? FileManager.default.removeItem(atPath: c.folder) }
    }
}
