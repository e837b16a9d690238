import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// HTTP/1.1 as Hummingbird serves it, plus a deadline on every request's head: once the first
/// byte of a request has arrived, its request line and headers must all have arrived within
/// `headerTimeout`, or the connection is closed.
///
/// Hummingbird's idle timeout does not bound a client that sends its headers a byte at a time
/// (slowloris): it counts from the last complete request or response, so a head trickled over
/// the whole idle timeout holds the connection that long, and the same trick again and again
/// on many connections holds the server's. The deadline is separate and shorter. It starts
/// with the first byte, not when the connection opens or the last response ended, so a
/// keep-alive connection with nothing to say is still governed by the idle timeout alone.
struct HeadDeadlineHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let headerTimeout: TimeAmount

    init(responder: @escaping HTTPChannelHandler.Responder, idleTimeout: TimeAmount, headerTimeout: TimeAmount) {
        http1 = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [RequestHeadSignal()],
                                                                        idleTimeout: idleTimeout))
        self.headerTimeout = headerTimeout
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            // First in the pipeline, where the bytes arrive before they are parsed.
            try channel.pipeline.syncOperations.addHandler(RequestHeadDeadline(timeout: headerTimeout), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// Where a request's head stands, told by `RequestHeadSignal` (after the parser) to
/// `RequestHeadDeadline` (before it) as an outbound user event, which travels that way.
private enum RequestHeadEvent {
    /// A request's head is parsed whole.
    case headArrived
    /// A request is read to its end: the next byte begins the next request.
    case requestEnded
}

/// Starts the clock on the first byte of a request and closes the connection when the head
/// is not whole in time.
private final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    private let timeout: TimeAmount
    private var awaitingHead = true
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if awaitingHead && deadline == nil {
            let loop = context.eventLoop.assumeIsolated()
            deadline = loop.scheduleTask(in: timeout) { [self] in
                deadline = nil
                context.close(promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? RequestHeadEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .headArrived:
            awaitingHead = false
            deadline?.cancel()
            deadline = nil
        case .requestEnded:
            awaitingHead = true
        }
        promise?.succeed()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}

/// Tells `RequestHeadDeadline` when a request's head has been parsed and when the request ended.
private final class RequestHeadSignal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: context.triggerUserOutboundEvent(RequestHeadEvent.headArrived, promise: nil)
        case .end: context.triggerUserOutboundEvent(RequestHeadEvent.requestEnded, promise: nil)
        case .body: break
        }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RequestHeadDeadline: Sendable {}

@available(*, unavailable)
extension RequestHeadSignal: Sendable {}
