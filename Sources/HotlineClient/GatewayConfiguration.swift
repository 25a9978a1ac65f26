import Foundation
import HotlineCore
import TOMLKit

/// The gateway's configuration file (TOML):
/// ```
/// [server]   host = "hotline.example"  port = 7343
/// [gateway]  id = "HL-14638"  token_file = "gateway.token"
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
    /// The directory folder (villages.csv and communes.csv are used by `new`), if any.
    public var directoryPath: String?

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
            table = try TOMLTable(string: String(decoding: data, as: UTF8.self))
        } catch {
            throw Failure(description: "\(path): \(error)")
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
        if let t = table["tls"]?.table, let ca = t["ca"]?.string {
            c.tls = TLSOptions(
                caFile: resolve(ca), certificateFile: t["certificate"]?.string.map(resolve), keyFile: t["key"]?.string.map(resolve),
                serverName: t["server_name"]?.string)
        }
        return c
    }

    /// The token, read from its file (first line, trimmed).
    public func token() throws -> String {
        guard let data = FileManager.default.contents(atPath: tokenFile),
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first
        else { throw Failure(description: "\(tokenFile): cannot read the gateway token") }
        return line.trimmingCharacters(in: .whitespaces)
    }

    public func client() throws -> GatewayClient {
        GatewayClient(.init(host: host, port: port, gateway: gateway, token: try token(), tls: tls))
    }
}
