import NIOCore
import NIOEmbedded
import Testing

@testable import HotlineServer

struct LineFramerTests {
    /// Feeds `input` in pieces of `step` bytes and collects the frames.
    func frames(_ input: [UInt8], step: Int, limit: Int = 8) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFramer(maxLineBytes: limit)))
        var out: [String] = []
        var i = 0
        while i < input.count {
            var buffer = channel.allocator.buffer(capacity: step)
            buffer.writeBytes(input[i..<min(i + step, input.count)])
            try channel.writeInbound(buffer)
            i += step
            while let frame = try channel.readInbound(as: InboundFrame.self) {
                switch frame {
                case let .line(bytes): out.append(String(decoding: bytes, as: UTF8.self))
                case .tooLong: out.append("<too long>")
                }
            }
        }
        _ = try channel.finish()
        return out
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func framesTheSameWhateverTheChunking(step: Int) throws {
        let input = Array("PING\r\n\nABCDEFGH\r\nABCDEFGHI\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nQUIT\nlast".utf8)
        #expect(
            try frames(input, step: step) == [
                "PING", "", "ABCDEFGH", "<too long>", "<too long>", "QUIT",
            ])
    }

    @Test func aCROnlyBeforeLFIsDropped() throws {
        #expect(try frames(Array("A\rB\r\r\n".utf8), step: 1) == ["A\rB\r"])
    }
}
