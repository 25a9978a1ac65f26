import HotlineHarness
import Foundation
import GRDB
import HotlineCore
import HotlineStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hotlinectl backup` under load, and a restore from it: every incident of the backup is
/// served, and the escalation queue continues after its last record, never repeating a seq.
@Suite(.serialized)
struct BackupTests {
    @Test func backUpUnderLoadRestoreAndTheQueueNeverRepeatsASeq() throws {
        let daemon = try DaemonProcess { c in
            for s in Severity.allCases { c.deadlines.windows[s] = DeadlineWindows(ack: 1, attend: 1) }
        }
        try daemon.start()
        defer { if daemon.process?.isRunning == true { daemon.kill(SIGKILL) } }
        let load = try daemon.gateway("14320")
        var sent = 0
        func send(_ n: Int) throws {
            var batch = ""
            for i in sent..<(sent + n) { batch += #"REPORT {"ref":"bk-\#(i)","severity":"high","forms":["physical"],"children":1}"# + "\n" }
            try load.send(batch)
            for _ in 0..<n { _ = try okObject(try load.readLine()) }
            sent += n
        }
        try send(200)
        // The backup is taken while reports keep coming from another connection.
        let busy = try daemon.gateway("14323")
        try busy.send(String(repeating: #"REPORT {"ref":"busy-\#(UUID().uuidString.prefix(8))","severity":"normal","forms":["economic"]}"# + "\n", count: 1))
        let backup = daemon.folder + "/data/backup.sqlite"
        let (code, out) = try daemon.hotlinectl(["backup", backup])
        #expect(code == 0, "\(out)")
        #expect(out.hasPrefix("backup: \(backup): "))
        var st = stat()
        #expect(stat(backup, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        let (incidents, backupSeq, lastID, lastOwn) = try DatabaseQueue(path: backup).read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM incident")!,
                try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM outbox")!,
                try Int64.fetchOne(db, sql: "SELECT max(id) FROM incident")!,
                try Int64.fetchOne(db, sql: "SELECT max(id) FROM incident WHERE commune = '14320'")!
            )
        }
        #expect(out.contains("\(incidents) incidents, escalation queue at seq \(backupSeq)"))
        #expect(incidents >= 200)
        try send(200)  // after the backup: these are lost by the restore, the queue is not
        Wait.until(seconds: 10) { (try? readQueue(daemon.folder + "/data/escalations.jsonl").records.count) ?? 0 > Int(backupSeq) + 200 }
        daemon.kill(SIGTERM)
        let fileSeq = Int64(try readQueue(daemon.folder + "/data/escalations.jsonl").records.count)
        #expect(fileSeq > backupSeq)

        // Restore: stop (done), replace the store, start.
        let store = daemon.folder + "/data/hotline.sqlite"
        for suffix in ["", "-wal", "-shm"] { unlink(store + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: store)
        try daemon.start()
        let c = try daemon.gateway("14320")
        // Every incident of the backup is served; numbering continues after it.
        #expect(try okObject(try c.request("STATUS \(IncidentID.text(lastOwn))"))["incident"] == .string(IncidentID.text(lastOwn)))
        let fresh = try okObject(try c.request(#"REPORT {"ref":"after-restore","severity":"low","forms":["economic"]}"#))
        #expect(fresh["incident"] == .string(IncidentID.text(lastID + 1)))
        // Deadlines of the restored incidents escalate again, after the file's last record.
        Wait.until(seconds: 10) {
            ((try? readQueue(daemon.folder + "/data/escalations.jsonl").records.count) ?? 0) > Int(fileSeq) + 10
        }
        daemon.kill(SIGTERM)
        let (records, verifier) = try readQueue(daemon.folder + "/data/escalations.jsonl")
        #expect(verifier.lastSeq == Int64(records.count))  // gapless, chained, no seq twice
        let restored = try #require(records.first { $0["reason"] == "store_restored" })
        #expect(restored["seq"] == .number(Double(fileSeq + 1)))
        #expect(restored["store_seq"] == .number(Double(backupSeq)))
        #expect(restored["file_seq"] == .number(Double(fileSeq)))
        #expect(records.count > Int(fileSeq) + 1)
        #expect(daemon.log.contains("restored from a backup"))
        let (verifyCode, verify) = try daemon.hotlinectl(["verify-queue"])
        #expect(verifyCode == 0, "\(verify)")
        #expect(verify.hasPrefix("ok: \(records.count) records"))
    }
}
