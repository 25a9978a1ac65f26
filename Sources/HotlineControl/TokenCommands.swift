import Foundation
import HotlineConfiguration
import HotlineCore

/// Issues and revokes gateway tokens in the token file named by the daemon's configuration.
/// The daemon picks the change up on SIGHUP (`systemctl reload hotlined`).
public enum TokenCommands {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    /// Writes a new token's hash for `gateway` and returns the token (shown once, stored nowhere).
    public static func issue(gateway: String, configuration: Configuration) throws -> String {
        let directory = try DirectoryLoader.load(folder: configuration.directoryPath)
        guard directory.hotlines[gateway] != nil else {
            throw Failure("gateway \(gateway) is not in \(configuration.directoryPath)/hotlines.csv")
        }
        let token = TokenFileEditor.newToken()
        try edit(configuration.tokensPath) { text in
            TokenFileEditor.set(text, gateway: gateway, hash: SHA256.hash(Array(token.utf8))).text
        }
        return token
    }

    /// Removes `gateway`'s line; fails if it had none.
    public static func revoke(gateway: String, configuration: Configuration) throws {
        var found = false
        try edit(configuration.tokensPath) { text in
            let result = TokenFileEditor.set(text, gateway: gateway, hash: nil)
            found = result.found
            return result.text
        }
        if !found { throw Failure("gateway \(gateway) has no token in \(configuration.tokensPath)") }
    }

    /// Rewrites the file atomically (temporary file, fsync, rename). The file keeps its owner
    /// and group and gets mode 0640 at most (never writable by its group, nothing for others),
    /// so that the service user can read it through its group and only root can change it.
    /// A new file is 0640 with the group of the folder it is created in (tmpfiles makes
    /// `/etc/hotline` `root:<service group>` 0750), so that whatever the service user is called,
    /// it reads the file through that group.
    static func edit(_ path: String, what: String = "gateway token file", _ change: (String) -> String) throws {
        var st = stat()
        let exists = stat(path, &st) == 0
        var old = ""
        if exists {
            do {
                old = try ProtectedFile.read(path, what: what, allowGroupWritable: true)
            } catch {
                throw Failure(error.message)
            }
        }
        let new = change(old)
        let mode: mode_t = exists ? (st.st_mode & 0o640) | 0o600 : 0o640
        var folder = stat()
        let parent = (path as NSString).deletingLastPathComponent
        let group: gid_t = exists ? st.st_gid : (stat(parent.isEmpty ? "." : parent, &folder) == 0 ? folder.st_gid : getegid())
        let owner: uid_t = exists ? st.st_uid : geteuid()
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        // Owner and group first, then the mode (a chown may clear mode bits).
        if fchown(fd, owner, group) != 0, geteuid() == 0 {
            let e = errno
            close(fd)
            unlink(temporary)
            throw Failure("cannot set the owner of \(temporary): \(String(cString: strerror(e)))")
        }
        fchmod(fd, mode)
        let bytes = Array(new.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw Failure("cannot write \(path): \(String(cString: strerror(e)))")
        }
    }
}
