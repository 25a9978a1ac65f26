import Foundation
import HotlineCore

#if canImport(Glibc)
import Glibc
import HotlineLineClient
#endif

/// Sends one request to the daemon's control socket and reads its one-line answer.
public enum ControlClient {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    public static func request(socket path: String, _ request: ControlRequest) throws -> JSONObject {
        let client: LineClient
        do {
            client = try LineClient(unixPath: path, timeoutSeconds: 600)
        } catch {
            throw Failure("cannot reach the daemon (\(error)); is hotlined running, and are you in its group?")
        }
        let reply: String?
        do {
            try client.send(request.line + [0x0A])
            reply = try client.readLineOrEOF()
        } catch {
            throw Failure("\(error)")
        }
        guard let reply else { throw Failure("the daemon closed the control connection") }
        guard case let .object(o)? = try? JSONParser.parse(Array(reply.utf8)) else {
            throw Failure("the daemon's answer is not JSON")
        }
        if let error = o["error"]?.stringValue {
            throw Failure("\(o["code"]?.stringValue ?? "error"): \(error)")
        }
        return o
    }
}
