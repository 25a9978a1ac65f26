import Foundation
import HotlineConfiguration
import HotlineCore
import HotlineStore
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOEmbedded
import Testing

@testable import HotlineServer

/// The connection handler on an `EmbeddedChannel`: request order, backpressure and draining,
/// without a socket, a clock or a database: durable requests go to a `RequestSink` of the
/// test's own, which holds them until the test completes them (in any order). Each test runs on a
/// thread of its own (`offThePool`), not on the cooperative pool that other tests' daemons need.
@Suite struct ConnectionHandlerTests {
    static func offThePool(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await offload { Result { try body() } }.get()
    }

    /// Holds what the handler submits; the test answers it.
    final class HeldRequests: RequestSink {
        let reports = NIOLockedValueBox<[IntakeJob]>([])
        let reads = NIOLockedValueBox<[AuditedRead]>([])
        let actions = NIOLockedValueBox<[CaseJob]>([])
        func submit(_ job: IntakeJob) { reports.withLockedValue { $0.append(job) } }
        func submit(_ job: CaseJob) { actions.withLockedValue { $0.append(job) } }
        func submit(_ read: AuditedRead) { reads.withLockedValue { $0.append(read) } }
    }

    static func context(_ requests: any RequestSink = HeldRequests(), limits: Limits? = nil) throws -> IntakeContext {
        let directory = try DirectoryLoader.load(folder: Repository.sampleDirectory)
        let tokens = try GatewayTokens.parse(
            try String(contentsOfFile: Repository.sampleTokens, encoding: .utf8), knownGateways: Set(directory.hotlines.keys))
        var unlimited = Limits()
        unlimited.rate = 1_000_000_000
        unlimited.burst = 1_000_000_000
        return IntakeContext(
            serverName: "embedded", maxLineBytes: 4096,
            snapshot: .init(directory: directory, tokens: tokens, deadlines: .defaults, ladder: .default),
            requests: requests, limits: limits ?? unlimited)
    }

    static func channel(_ requests: HeldRequests = HeldRequests()) throws -> (EmbeddedChannel, ConnectionHandler) {
        let handler = ConnectionHandler(shared: try context(requests), logger: .init(label: "t"))
        let channel = EmbeddedChannel(handler: handler)
        return (channel, handler)
    }

    /// A connected channel whose session authenticated as HL-14320 (greeting and OK read).
    static func authenticated(_ requests: HeldRequests) throws -> (EmbeddedChannel, ConnectionHandler) {
        let (channel, handler) = try channel(requests)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        _ = try lines(channel)
        try channel.writeInbound(InboundFrame.line(Array("AUTH HL-14320 demo-HL-14320".utf8)))
        #expect(try lines(channel).first?.hasPrefix("OK ") == true)
        #expect(handler.isAuthenticated)
        return (channel, handler)
    }

    static func lines(_ channel: EmbeddedChannel) throws -> [String] {
        var out: [String] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            out += (buffer.readString(length: buffer.readableBytes) ?? "").split(separator: "\n").map(String.init)
        }
        return out
    }

    @Test func aLargeBacklogOfImmediateRepliesIsAnsweredInOrderWithoutRecursion() async throws {
        try await Self.offThePool {
            let (channel, _) = try Self.channel()
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = try Self.lines(channel)  // the greeting
            try channel.writeInbound(InboundFrame.line(Array("AUTH HL-14320 demo-HL-14320".utf8)))
            #expect(try Self.lines(channel).first?.hasPrefix("OK ") == true)
            // 20,000 requests wait while the peer does not read; then all are answered at once, in a
            // loop: the stack does not grow with the backlog (before, each immediate reply
            // re-entered the loop, 20,000 frames deep).
            channel.isWritable = false
            channel.pipeline.fireChannelWritabilityChanged()
            for i in 0..<20_000 {
                try channel.writeInbound(InboundFrame.line(Array((i % 2 == 0 ? "PING" : "NOPE \(i)").utf8)))
            }
            #expect(try Self.lines(channel).isEmpty)
            channel.isWritable = true
            channel.pipeline.fireChannelWritabilityChanged()
            let replies = try Self.lines(channel)
            #expect(replies.count == 20_000)
            #expect(replies.first == #"OK {"pong":true}"#)
            #expect(replies[1].hasPrefix("ERR "))
            #expect(replies.enumerated().allSatisfy { $0.offset % 2 == 0 ? $0.element == #"OK {"pong":true}"# : $0.element.hasPrefix("ERR ") })
            _ = try? channel.finish()
        }
    }

    @Test func whileThePeerIsNotReadingRequestsWaitAndReadingPauses() async throws {
        try await Self.offThePool {
            let (channel, handler) = try Self.channel()
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = try Self.lines(channel)
            channel.isWritable = false
            channel.pipeline.fireChannelWritabilityChanged()
            for _ in 0..<5 { try channel.writeInbound(InboundFrame.line(Array("PING".utf8))) }
            #expect(try Self.lines(channel).isEmpty)
            #expect(handler.readingPaused)
            channel.isWritable = true
            channel.pipeline.fireChannelWritabilityChanged()
            #expect(try Self.lines(channel) == Array(repeating: #"OK {"pong":true}"#, count: 5))
            #expect(!handler.readingPaused)
            _ = try? channel.finish()
        }
    }

    @Test func drainingAnswersWhatIsPendingRefusesTheRestAndCloses() async throws {
        try await Self.offThePool {
            let (channel, handler) = try Self.channel()
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = try Self.lines(channel)
            try channel.writeInbound(InboundFrame.line(Array("PING".utf8)))
            // What the listener's quiescing helper sends every connection at shutdown.
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            _ = handler
            #expect(try Self.lines(channel) == [#"OK {"pong":true}"#])
            #expect(!channel.isActive)
        }
    }

    /// Counts the frames the line framer hands on.
    final class FrameCounter: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = InboundFrame
        typealias InboundOut = InboundFrame
        var frames = 0
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            frames += 1
            context.fireChannelRead(data)
        }
    }

    /// A PING flood found the daemon framing, line by line, what a peer kept sending after its
    /// connection's last reply (QUIT here; the pre-AUTH budget or a fifth failed AUTH alike):
    /// once the last reply is decided, nothing more is framed (and reading stops).
    @Test func aClosingConnectionIsNotFramedAnyMore() async throws {
        try await Self.offThePool {
            let handler = ConnectionHandler(shared: try Self.context(limits: Limits()), logger: .init(label: "t"))
            let counter = FrameCounter()
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFramer(maxLineBytes: 4096, status: handler)))
            try channel.pipeline.syncOperations.addHandler(counter)
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = try Self.lines(channel)
            let flood = String(repeating: "PING\n", count: 10_000)
            try channel.writeInbound(ByteBuffer(string: "PING\nQUIT\n" + flood))
            #expect(try Self.lines(channel) == [#"OK {"pong":true}"#, #"OK {"bye":true}"#])
            #expect(handler.isClosing)
            #expect(counter.frames == 2)  // PING and QUIT; the 10,000 after QUIT were dropped unframed
            try channel.writeInbound(ByteBuffer(string: flood))
            #expect(counter.frames == 2)
            #expect(try Self.lines(channel).isEmpty)
            _ = try? channel.finish()
        }
    }

    @Test func quitAnswersThenClosesAndLaterRequestsAreNotHandled() async throws {
        try await Self.offThePool {
            let (channel, _) = try Self.channel()
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = try Self.lines(channel)
            try channel.writeInbound(InboundFrame.line(Array("QUIT".utf8)))
            try? channel.writeInbound(InboundFrame.line(Array("PING".utf8)))
            #expect(try Self.lines(channel) == [#"OK {"bye":true}"#])
            _ = try? channel.finish()
        }
    }

    /// Durable requests complete in any order (the writer's batches); the replies leave in
    /// request order, immediate replies waiting behind them, each slot filled by its own answer.
    @Test func durableAnswersArriveOutOfOrderAndLeaveInRequestOrder() async throws {
        try await Self.offThePool {
            let held = HeldRequests()
            let (channel, _) = try Self.authenticated(held)
            try channel.writeInbound(InboundFrame.line(Array("STATUS INC-000001".utf8)))
            try channel.writeInbound(InboundFrame.line(Array("PING".utf8)))
            try channel.writeInbound(InboundFrame.line(Array("STATUS INC-000002".utf8)))
            try channel.writeInbound(InboundFrame.line(Array("PING".utf8)))
            let reads = held.reads.withLockedValue { $0 }
            #expect(reads.map(\.incident) == ["INC-000001", "INC-000002"])
            #expect(reads.allSatisfy { $0.gateway?.id == "HL-14320" && $0.peer == "?" })
            #expect(try Self.lines(channel).isEmpty)  // all wait behind the first STATUS
            reads[1].completion(.failure(.noIncident("INC-000002")))
            channel.embeddedEventLoop.run()
            #expect(try Self.lines(channel).isEmpty)
            reads[0].completion(.failure(.otherCommune(incident: "INC-000001", owner: nil)))
            channel.embeddedEventLoop.run()
            #expect(
                try Self.lines(channel) == [
                    "ERR forbidden incident INC-000001 belongs to another commune", #"OK {"pong":true}"#,
                    #"ERR not-found no incident INC-000002"#, #"OK {"pong":true}"#,
                ])
            _ = try? channel.finish()
        }
    }

    /// What the handler submits is built from the request, the connection's login and the
    /// context; the store's answer, whatever its type, is the reply: a REPORT's receipt text, an
    /// ACK's outcome, a refusal in the protocol's words.
    @Test func durableRequestsCarryTheirContextAndTheirAnswersBecomeReplies() async throws {
        try await Self.offThePool {
            let held = HeldRequests()
            let (channel, handler) = try Self.authenticated(held)
            try channel.writeInbound(
                InboundFrame.line(Array(#"REPORT {"ref":"e1","severity":"high","forms":["physical"]}"#.utf8)))
            try channel.writeInbound(InboundFrame.line(Array("ACK INC-000007".utf8)))
            try channel.writeInbound(InboundFrame.line(Array(#"CLOSE INC-000007 {"offender_measures":["none"],"victim_support":["none"]}"#.utf8)))
            let reports = held.reports.withLockedValue { $0 }
            let actions = held.actions.withLockedValue { $0 }
            #expect(reports.count == 1 && actions.count == 2)
            let job = try #require(reports.first)
            #expect(job.request.ref == "e1" && job.gateway.id == "HL-14320" && job.gateway.communeCode == "14320")
            #expect(job.shelterCap == handler.shared.maxShelterPerCommune)
            #expect(actions.map(\.incident) == ["INC-000007", "INC-000007"])
            #expect(actions.map(\.action.verb) == ["ACK", "CLOSE"])
            #expect(actions.allSatisfy { $0.gateway?.id == "HL-14320" && $0.operatorName == nil })
            job.completion(.success(IntakeReceipt(incident: "INC-000007", severity: "high", duplicate: false, text: #"{"incident":"INC-000007"}"#)))
            actions[0].completion(.success(CaseOutcome(incident: "INC-000007", state: "acknowledged", detail: .attendDue(nil))))
            actions[1].completion(.failure(.closed(incident: "INC-000007")))
            channel.embeddedEventLoop.run()
            #expect(
                try Self.lines(channel) == [
                    #"OK {"incident":"INC-000007"}"#, #"OK {"incident":"INC-000007","state":"acknowledged","attend_due":null}"#,
                    "ERR conflict incident INC-000007 is closed",
                ])
            _ = try? channel.finish()
        }
    }
}
