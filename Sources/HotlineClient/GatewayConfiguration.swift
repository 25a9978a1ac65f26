import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HotlineCore

/// The gateway's configuration file (TOML):
/// ```
/// [server]   host = "hotline.example"  port = 7343
/// [gateway]  id = "HL-14638"  token_file = "gateway.token"  utc_offset = "+07:00"
/// [spool]    path = "spool.sqlite"
/// [directory] path = "ninh-binh"   # for `new`: the commune's villages
/// [tls]      ca = "province-ca.pem"  certificate = "HL-14638.pem"  key = "HL-14638.key"  # optional
/// ```
/// Relative paths are relative to the file's folder.
public struct GatewayConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 7300
    public var gateway: String
    public var tokenFile: String
    public var spoolPath: String
    public var tls: TLSOptions?
    /// The directory folder, if any: `new` offers the commune's villages from it, and both
    /// `new` and `send` run triage on it when the province cannot be reached.
    public var directoryPath: String?
    /// The hotline's local time, for deadlines shown to the call-taker. Default UTC+7.
    public var localTime = LocalTime.vietnam

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func load(path: String) throws -> GatewayConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot be read")
        }
        let base = (URL(fileURLWithPath: path).standardizedFileURL.path as NSString).deletingLastPathComponent
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base + "/" + p }
        let table: TOMLTable
        do {
            table = try TOML.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw Failure(description: "\(path):\(error)")
        }
        guard let id = table["gateway"]?.table?["id"]?.string else { throw Failure(description: "\(path): [gateway] id is required") }
        var c = GatewayConfiguration(
            gateway: id, tokenFile: resolve(table["gateway"]?.table?["token_file"]?.string ?? "gateway.token"),
            spoolPath: resolve(table["spool"]?.table?["path"]?.string ?? "spool.sqlite"))
        if let s = table["server"]?.table {
            if let h = s["host"]?.string { c.host = h }
            if let p = s["port"]?.int { c.port = p }
        }
        if let d = table["directory"]?.table?["path"]?.string { c.directoryPath = resolve(d) }
        if let offset = table["gateway"]?.table?["utc_offset"]?.string {
            guard let local = LocalTime(offset: offset) else {
                throw Failure(description: "\(path): gateway.utc_offset must be an offset such as \"+07:00\", not \"\(offset)\"")
            }
            c.localTime = local
        }
        if let t = table["tls"]?.table, let ca = t["ca"]?.string {
            c.tls = TLSOptions(
                caFile: resolve(ca), certificateFile: t["certificate"]?.string.map(resolve), keyFile: t["key"]?.string.map(resolve),
                serverName: t["server_name"]?.string)
        }
        return c
    }

    /// The token, read from its file (first line, trimmed). Fails with the cause.
    public func token() throws(HLPClientError) -> String {
        let fd = open(tokenFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            let cause = e == ENOENT ? "no such file" : String(cString: strerror(e))
            throw .credentials("the token file \(tokenFile) cannot be read: \(cause)")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw .credentials("the token file \(tokenFile) cannot be read: \(String(cString: strerror(errno)))") }
        let line = String(decoding: bytes[..<n], as: UTF8.self).split(separator: "\n").first?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !line.isEmpty else { throw .credentials("the token file \(tokenFile) is empty") }
        return line
    }

    /// A client with the gateway's token, or why there cannot be one.
    public func client() -> Result<GatewayClient, HLPClientError> {
        Result { () throws(HLPClientError) -> GatewayClient in
            GatewayClient(.init(host: host, port: port, gateway: gateway, token: try token(), tls: tls))
        }
    }
}
