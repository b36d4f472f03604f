import NIOCore

/// Splits a byte stream into `\n`-terminated lines (a trailing `\r` is dropped, for telnet users).
///
/// A request is a few dozen bytes; anything longer than ``maximumLength`` without a newline is a
/// client speaking another protocol, and buffering it without bound would let it exhaust memory.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    /// The longest line accepted, newline excluded.
    static let maximumLength = 1024

    /// Thrown when a line exceeds ``maximumLength``; the connection is answered and closed.
    struct LineTooLong: Error, CustomStringConvertible {
        var description: String { "request line longer than \(LineDecoder.maximumLength) bytes" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLength { throw LineTooLong() }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= Self.maximumLength + 1 else { throw LineTooLong() }
        var line = String(decoding: buffer.readableBytesView[..<newline], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: length + 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        // A final line without its newline is dropped: the peer has closed, so no answer could
        // reach it anyway.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
