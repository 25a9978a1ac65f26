import Foundation
import HotlineCore
import HotlineHarness

#if canImport(Glibc)
import Glibc
import HotlineLineClient
#endif

/// One HTTP/1.1 exchange over a fresh TCP connection (`Connection: close`), from a chosen
/// loopback source address: the dashboard tests read every byte the server sends.
struct HTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: String
    /// Everything received, headers included.
    var raw: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    func all(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }

    /// `name=value` of a Set-Cookie header, and the whole header.
    func cookie(_ name: String) -> (value: String, header: String)? {
        for h in all("set-cookie") where h.hasPrefix(name + "=") {
            let value = h.dropFirst(name.count + 1).prefix { $0 != ";" }
            return (String(value), h)
        }
        return nil
    }
}

enum HTTP {
    static func request(
        port: Int, _ method: String, _ path: String, headers: [(String, String)] = [], body: String = "",
        from source: String = "127.0.0.1"
    ) throws -> HTTPResponse {
        guard let fd = LoopbackSocket.connect(from: source, port: port) else {
            throw LineClient.Failure(description: "connect to \(port) from \(source): errno \(errno)")
        }
        defer { close(fd) }
        var tv = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if method == "POST" {
            text += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        text += "\r\n" + body
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw LineClient.Failure(description: "send") }
            sent += n
        }
        var raw: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw LineClient.Failure(description: "recv: errno \(errno)") }
            raw += chunk[..<n]
        }
        guard let split = raw.firstRange(of: Array("\r\n\r\n".utf8)) else {
            throw LineClient.Failure(description: "no HTTP response: \(String(decoding: raw, as: UTF8.self))")
        }
        let head = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        let headers = head.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPResponse(status: status, headers: headers, body: String(decoding: raw[split.upperBound...], as: UTF8.self), raw: raw)
    }

    static func formEncode(_ fields: [(String, String)]) -> String {
        fields.map { k, v in
            k + "=" + (v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }.joined(separator: "&")
    }
}
