import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Who a daemon started by the tests or the benchmarks runs as: the way
/// `systemd/hotlined.service` runs it. Started by root (CI is), the daemon runs as an
/// unprivileged user with no capabilities and no-new-privileges, on files that user owns;
/// otherwise as the current user.
public enum ServiceIdentity {
    /// The unprivileged account (nobody:nogroup), or nil when not started by root.
    public static let account: (uid: uid_t, gid: gid_t)? = {
        guard geteuid() == 0 else { return nil }
        let uid = getpwnam("nobody")?.pointee.pw_uid ?? 65_534
        let gid = getgrnam("nogroup")?.pointee.gr_gid ?? 65_534
        return (uid, gid)
    }()

    /// The command prefix that drops to the account, as the unit does (User=, no capabilities,
    /// NoNewPrivileges=).
    public static var launcher: [String] {
        guard let account else { return [] }
        return launcher(uid: account.uid, gid: account.gid, groups: nil)
    }

    /// setpriv to `uid`:`gid` with no capabilities and no new privileges; its own groups
    /// (`--init-groups`) when `groups` is nil, else exactly these supplementary groups.
    public static func launcher(uid: uid_t, gid: gid_t, groups: [gid_t]?) -> [String] {
        ["/usr/bin/setpriv", "--reuid", "\(uid)", "--regid", "\(gid)"]
            + (groups.map { ["--groups", $0.map(String.init).joined(separator: ",")] } ?? ["--init-groups"])
            + ["--no-new-privs", "--bounding-set=-all"]
    }

    /// Gives `path` (recursively) to the account, so that the daemon owns its files.
    public static func own(_ path: String) {
        guard let account else { return }
        own(path, uid: account.uid, gid: account.gid)
    }

    /// Gives `path` (recursively) to `uid`:`gid`.
    public static func own(_ path: String, uid: uid_t, gid: gid_t) {
        func chownTree(_ p: String) {
            lchown(p, uid, gid)
            if let children = try? FileManager.default.contentsOfDirectory(atPath: p) {
                for c in children { chownTree(p + "/" + c) }
            }
        }
        chownTree(path)
    }

    private static let copies = Mutex<[String: String]>([:])

    /// An executable the account can run: `built` itself, or (when a folder above it is closed
    /// to the account, as under /root) a copy in a shared temporary folder, made once.
    public static func executable(_ built: String) -> String {
        guard account != nil else { return built }
        return copies.withLock { copies in
            if let copy = copies[built] { return copy }
            var usable = built
            if run(launcher + ["/usr/bin/test", "-x", built]) != 0 {
                let folder = NSTemporaryDirectory() + "hotline-deployed-" + UUID().uuidString
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                chmod(folder, 0o755)
                usable = folder + "/" + (built as NSString).lastPathComponent
                try? FileManager.default.copyItem(atPath: built, toPath: usable)
                chmod(usable, 0o755)
            }
            copies[built] = usable
            return usable
        }
    }

    /// Runs a command to its end, output discarded: its exit status (-1 if it cannot start).
    public static func run(_ command: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
