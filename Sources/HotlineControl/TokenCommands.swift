import Foundation
import HotlineCore
import HotlineServer

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

    /// Rewrites the file atomically (temporary file, fsync, rename), keeping its mode (0600 if new).
    static func edit(_ path: String, _ change: (String) -> String) throws {
        let old = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let new = change(old)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes?[.posixPermissions] as? Int) ?? 0o600
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw Failure("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        fchmod(fd, mode_t(mode))
        let bytes = Array(new.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
