import HotlineCore
import NIOCore

/// One framed request line, or the news that a line went over the limit.
enum InboundFrame: Equatable {
    /// The line's bytes without the LF and without a CR right before it.
    case line([UInt8])
    /// A line longer than the limit; its bytes up to the next LF are discarded.
    case tooLong
}

/// Splits the byte stream at LF and enforces the line limit itself: `ERR too-long` is due as
/// soon as a line cannot fit, and its remaining bytes are skipped without being buffered.
struct LineFramer: ByteToMessageDecoder {
    typealias InboundOut = InboundFrame

    let maxLineBytes: Int
    /// The connection handler: once the connection is closing, whatever arrives is dropped
    /// unframed (same event loop).
    private weak var status: (any ConnectionStatus)?
    private var discarding = false
    /// How far the buffer was already searched for a LF.
    private var scanned = 0

    init(maxLineBytes: Int, status: (any ConnectionStatus)? = nil) {
        self.maxLineBytes = maxLineBytes
        self.status = status
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if status?.isClosing == true {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            return .needMoreData
        }
        let view = buffer.readableBytesView
        if let lf = view[(view.startIndex + scanned)...].firstIndex(of: 0x0A) {
            scanned = 0
            let length = lf - view.startIndex
            if discarding {
                discarding = false
                buffer.moveReaderIndex(forwardBy: length + 1)
                return .continue
            }
            var line = buffer.readBytes(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.last == 0x0D { line.removeLast() }
            context.fireChannelRead(wrapInboundOut(line.count > maxLineBytes ? .tooLong : .line(line)))
            return .continue
        }
        if discarding {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            return .needMoreData
        }
        // Still no LF. Over the limit even if a CR ends it: too long already.
        if buffer.readableBytes > maxLineBytes + 1 {
            discarding = true
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            scanned = 0
            context.fireChannelRead(wrapInboundOut(.tooLong))
            return .needMoreData
        }
        scanned = buffer.readableBytes
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A last line without LF is incomplete: it is not a request.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}
