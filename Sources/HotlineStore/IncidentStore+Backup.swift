import Foundation
import GRDB
import HotlineCore

#if canImport(Glibc)
import Glibc
#endif

/// What a backup holds.
public struct BackupSummary: Sendable, Equatable {
    public var path: String
    public var incidents: Int
    /// The last escalation record the backup's outbox holds (`seq`).
    public var queueSeq: Int64
    public var bytes: Int64
}

extension IncidentStore {
    /// A consistent online copy of the store while the writer goes on (SQLite's backup API
    /// through GRDB, from one read snapshot), written to `path` mode 0600: first to a
    /// temporary file beside it, synced, then renamed over `path`, so a backup file is
    /// always whole.
    public func backup(to path: String) throws -> BackupSummary {
        guard let pool = (engine as? SQLiteEngine)?.pool else {
            throw BackupFailure(
                description: "the store is on PostgreSQL: back it up with PostgreSQL's tools (pg_dump, or pg_basebackup with WAL archiving)")
        }
        guard path.hasPrefix("/") else { throw BackupFailure(description: "the backup path must be absolute: \(path)") }
        let temporary = path + ".tmp-\(getpid())"
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BackupFailure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        Glibc.close(fd)
        do {
            var config = Configuration()
            config.label = "hotline.backup"
            let destination = try DatabaseQueue(path: temporary, configuration: config)
            try destination.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try pool.backup(to: destination)
            let (incidents, seq) = try destination.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM incident") ?? 0,
                    try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM outbox") ?? 0
                )
            }
            try destination.close()
            chmod(temporary, 0o600)
            let sync = open(temporary, O_RDONLY | O_CLOEXEC)
            if sync >= 0 {
                fsync(sync)
                Glibc.close(sync)
            }
            guard rename(temporary, path) == 0 else {
                throw BackupFailure(description: "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
            let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
            if folder >= 0 {
                fsync(folder)
                Glibc.close(folder)
            }
            var st = stat()
            stat(path, &st)
            return BackupSummary(path: path, incidents: incidents, queueSeq: seq, bytes: Int64(st.st_size))
        } catch {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
            if let failure = error as? BackupFailure { throw failure }
            throw BackupFailure(description: "backup to \(path) failed: \(error)")
        }
    }
}

public struct BackupFailure: Error, CustomStringConvertible {
    public var description: String
}
