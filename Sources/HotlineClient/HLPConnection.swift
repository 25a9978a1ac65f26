import Foundation
import HotlineCore
import NIOCore
import NIOPosix
import NIOSSL

public enum HLPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server refused the request: the code of hotline-protocol(7) and its text.
    case refused(code: String, text: String)
    /// No connection, or it broke: try again later.
    case connection(String)
    /// The gateway's credentials: the daemon refused its token (AUTH `auth-failed`), or the
    /// token file cannot be read. Not the report's fault: it stays pending until they work.
    case credentials(String)

    public var description: String {
        switch self {
        case let .refused(code, text): "\(code): \(text)"
        case let .connection(why): "no connection: \(why)"
        case let .credentials(why): "waiting for a valid token: \(why)"
        }
    }

    /// Whether a report that met this error stays in the spool to be sent again.
    public var keepsReport: Bool {
        if case .credentials = self { return true }
        return isTemporary
    }

    /// Worth retrying later: no connection, `unavailable` or `rate-limited`.
    public var isTemporary: Bool {
        switch self {
        case .connection: true
        case let .refused(code, _): code == "unavailable" || code == "rate-limited"
        case .credentials: false
        }
    }
}

/// TLS for the gateway's connection: the CA that signed the server's certificate, and
/// optionally the gateway's own certificate and key (mutual TLS).
public struct TLSOptions: Sendable {
    public var caFile: String
    public var certificateFile: String?
    public var keyFile: String?
    public var serverName: String?

    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
    }
}

/// One connection to the daemon (TCP, or TLS when configured), with blocking line reads.
/// Requests may be pipelined: send several, then read as many replies, in order.
public final class HLPConnection: @unchecked Sendable {
    // @unchecked: `lines`, `closed` and `failure` are guarded by `condition`.
    private let channel: any Channel
    private let condition = NSCondition()
    private var lines: [String] = []
    private var closed = false
    private var failure: String?
    public var timeout: TimeInterval = 30
    /// The server's greeting line (`HLP/1 <name> ready`).
    public private(set) var greeting = ""

    public init(host: String, port: Int, tls: TLSOptions? = nil, connectTimeout: TimeInterval = 10) throws {
        var sslContext: NIOSSLContext?
        if let tls {
            do {
                var config = TLSConfiguration.makeClientConfiguration()
                config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.caFile))
                if let cert = tls.certificateFile, let key = tls.keyFile {
                    config.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                    config.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
                }
                sslContext = try NIOSSLContext(configuration: config)
            } catch {
                // The gateway's own TLS files (CA, certificate, key) are its credentials: the
                // report stays, and the message says which files to fix.
                let files = [tls.caFile, tls.certificateFile, tls.keyFile].compactMap { $0 }.joined(separator: ", ")
                throw HLPClientError.credentials("cannot set up TLS from \(files): \(error)")
            }
        }
        let collector = Collector()
        let serverName = tls?.serverName ?? host
        do {
            channel = try ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(connectTimeout * 1000)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(host: host, port: port).wait()
        } catch {
            throw HLPClientError.connection("\(host):\(port): \(error)")
        }
        collector.attach(self)
        let first = try readLine()
        guard first.hasPrefix("HLP/1 ") else { throw HLPClientError.connection("not an HLP/1 server: \(first.prefix(60))") }
        greeting = first
    }

    deinit { channel.close(promise: nil) }

    public func close() { channel.close(promise: nil) }

    /// Sends request lines (each without LF) in one write.
    public func send(_ requests: [String]) throws {
        var buffer = channel.allocator.buffer(capacity: requests.reduce(0) { $0 + $1.utf8.count + 1 })
        for r in requests {
            buffer.writeString(r)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        do {
            try channel.writeAndFlush(buffer).wait()
        } catch {
            throw HLPClientError.connection("send: \(error)")
        }
    }

    /// Sends one request and returns its reply.
    public func request(_ line: String) throws -> HLPReply {
        try send([line])
        return HLPReply(line: try readLine())
    }

    /// Pipelines requests and returns their replies in order.
    public func requests(_ lines: [String]) throws -> [HLPReply] {
        try send(lines)
        return try lines.map { _ in HLPReply(line: try readLine()) }
    }

    func readLine() throws -> String {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while lines.isEmpty && !closed {
            if !condition.wait(until: deadline) { throw HLPClientError.connection("no reply within \(Int(timeout)) s") }
        }
        if !lines.isEmpty { return lines.removeFirst() }
        throw HLPClientError.connection(failure ?? "the server closed the connection")
    }

    fileprivate func received(_ line: String) {
        condition.lock()
        lines.append(line)
        condition.broadcast()
        condition.unlock()
    }

    fileprivate func ended(_ error: String?) {
        condition.lock()
        closed = true
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private weak var owner: HLPConnection?
        private let lock = NSLock()
        private var pending: [UInt8] = []
        private var early: [String] = []
        private var endedEarly: String??

        func attach(_ o: HLPConnection) {
            lock.lock()
            owner = o
            let lines = early
            early = []
            let end = endedEarly
            lock.unlock()
            for l in lines { o.received(l) }
            if let end { o.ended(end) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            while let i = pending.firstIndex(of: 0x0A) {
                var bytes = Array(pending[..<i])
                pending.removeFirst(i + 1)
                if bytes.last == 0x0D { bytes.removeLast() }
                deliver(String(decoding: bytes, as: UTF8.self))
            }
        }

        private func deliver(_ line: String) {
            lock.lock()
            if let owner {
                lock.unlock()
                owner.received(line)
            } else {
                early.append(line)
                lock.unlock()
            }
        }

        private func end(_ why: String?) {
            lock.lock()
            if let owner {
                lock.unlock()
                owner.ended(why)
            } else {
                endedEarly = .some(why)
                lock.unlock()
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            end("\(error)")
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) { end(nil) }
    }
}
