import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file the daemon trusts (its configuration, the gateway token file) the way sshd's
/// StrictModes does: a file that a group or other users may write is refused, because whoever
/// can write it can let any gateway in. Every failure names its real cause and who the
/// daemon runs as, so an administrator knows what to fix.
public enum ProtectedFile {
    /// The text of `path`, or a `ConfigurationError` that says why it cannot be used.
    /// - Parameter what: what the file is, for the message ("gateway token file").
    /// - Parameter allowGroupWritable: for a tool that is about to rewrite the file with a safe
    ///   mode (`hotlinectl token issue`).
    /// - Parameter secret: the file holds a secret (a password): other users must not even
    ///   read it (its group may, for `chmod 0640` with the service's group), as libpq demands
    ///   of `.pgpass`.
    public static func read(_ path: String, what: String, allowGroupWritable: Bool = false, secret: Bool = false)
        throws(ConfigurationError) -> String
    {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw ConfigurationError("\(path) (\(what)): \(reason(errno, path))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ConfigurationError("\(path) (\(what)): not a regular file")
        }
        if st.st_mode & (S_IWGRP | S_IWOTH) != 0, !allowGroupWritable {
            let mode = String(st.st_mode & 0o777, radix: 8)
            throw ConfigurationError(
                "\(path) (\(what)): mode \(mode) lets \(st.st_mode & S_IWOTH != 0 ? "every user" : "its group") change it; refusing it (run: chmod go-w \(path))"
            )
        }
        if secret, st.st_mode & (S_IROTH | S_IWOTH) != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            throw ConfigurationError(
                "\(path) (\(what)): mode \(mode) lets every user read it; refusing it (run: chmod o-rwx \(path))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ConfigurationError("\(path) (\(what)): \(reason(errno, path))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConfigurationError("\(path) (\(what)): \(reason(errno, path))")
            }
            if n == 0 { break }
            bytes += chunk[..<n]
            guard bytes.count <= 64 << 20 else { throw ConfigurationError("\(path) (\(what)): larger than 64 MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError("\(path) (\(what)): not valid UTF-8 text")
        }
        return text
    }

    /// A cause in words, naming the user for permission errors.
    static func reason(_ code: Int32, _ path: String) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES:
            return "permission denied for \(currentUser) (the daemon's user); make it readable by that user, for example chgrp hotline \(path) && chmod 0640 \(path), and check the folders above it"
        default: return String(cString: strerror(code))
        }
    }

    /// The effective user, as "name (uid N)".
    public static var currentUser: String {
        let uid = geteuid()
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var storage = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &entry, &storage, storage.count, &result) == 0, let result, let name = result.pointee.pw_name {
            return "user \(String(cString: name)) (uid \(uid))"
        }
        return "uid \(uid)"
    }
}
