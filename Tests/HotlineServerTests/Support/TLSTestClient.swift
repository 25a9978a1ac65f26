import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A real TLS client (SwiftNIO + NIOSSL) with blocking line reads, for the TLS tests.
final class TLSTestClient: @unchecked Sendable {
    // @unchecked: `lines`, `closed` and `failure` are guarded by `condition`.
    private let channel: any Channel
    private let condition = NSCondition()
    private var lines: [String] = []
    private var closed = false
    private var failure: (any Error)?

    static func fixture(_ name: String) -> String {
        Bundle.module.path(forResource: "Fixtures/tls/" + name, ofType: nil)
            ?? Repository.root + "/Tests/HotlineServerTests/Fixtures/tls/" + name
    }

    /// Connects to 127.0.0.1:`port`, trusting the test CA, optionally presenting a client certificate.
    init(port: Int, clientCertificate: String? = nil) throws {
        var config = TLSConfiguration.makeClientConfiguration()
        config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(Self.fixture("ca.pem")))
        if let name = clientCertificate {
            config.certificateChain = try NIOSSLCertificate.fromPEMFile(Self.fixture(name + ".pem")).map { .certificate($0) }
            config.privateKey = .privateKey(try NIOSSLPrivateKey(file: Self.fixture(name + ".key"), format: .pem))
        }
        let context = try NIOSSLContext(configuration: config)
        let collector = Collector()
        channel = try ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).wait()
        collector.owner = self
    }

    deinit { channel.close(promise: nil) }

    func send(_ text: String) throws {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        try channel.writeAndFlush(buffer).wait()
    }

    func request(_ line: String) throws -> String {
        try send(line + "\n")
        return try readLine()
    }

    /// The next line; nil when the connection closed; throws on a TLS failure or after 20 s.
    func readLineOrEOF() throws -> String? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(20)
        while lines.isEmpty && !closed {
            if !condition.wait(until: deadline) { throw TestClient.Failure(description: "TLS read timed out") }
        }
        if !lines.isEmpty { return lines.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    func readLine() throws -> String {
        guard let line = try readLineOrEOF() else { throw TestClient.Failure(description: "connection closed") }
        return line
    }

    fileprivate func received(_ line: String) {
        condition.lock()
        lines.append(line)
        condition.broadcast()
        condition.unlock()
    }

    fileprivate func ended(_ error: (any Error)?) {
        condition.lock()
        closed = true
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        weak var owner: TLSTestClient?
        private var pending: [UInt8] = []
        private var early: [String] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            while let i = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<i], as: UTF8.self)
                pending.removeFirst(i + 1)
                if let owner {
                    for e in early { owner.received(e) }
                    early = []
                    owner.received(line)
                } else {
                    early.append(line)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            owner?.ended(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            owner?.ended(nil)
        }
    }
}
