package io.siprelay.benchmarks;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.transport.Flow;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import javax.sip.address.AddressFactory;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * A request context without a proxy behind it, for benchmarks of route-level components (route dispatch, registrar
 * lookup, dispatcher selection). The terminal actions only record what was asked and in which block ({@link #action},
 * {@link #actionBlock}, {@link #replyStatus}); they build and send nothing, so a benchmark using it measures the
 * routing logic, not the reply or relay machinery (see {@link StatelessReplyBenchmark} and
 * {@link StatefulCallBenchmark} for those).
 */
final class BenchContext extends RequestContext {

    /** The UDP listener every benchmark request "arrived on": a capturing transport, no socket. */
    static final StatelessReplyBenchmark.CapturingTransport TRANSPORT = new StatelessReplyBenchmark.CapturingTransport();

    private final SipCodec codec;
    /** "reply", "forward" or "relay" once the corresponding terminal action ran, else null. */
    String action;
    /** The innermost block the terminal action ran in. */
    String actionBlock;
    int replyStatus;

    BenchContext(Request request, Flow source, SipCodec codec) {
        super(request, source);
        this.codec = codec;
    }

    /** A flow from {@code ip:port} to {@link #TRANSPORT}. */
    static Flow udpFrom(String ip, int port) {
        return new Flow(TRANSPORT, new InetSocketAddress(ip, port));
    }

    @Override
    protected void doReply(int status, String reason, Consumer<Response> customizer) {
        action = "reply";
        actionBlock = currentBlock();
        replyStatus = status;
    }

    @Override
    protected void doForward() {
        action = "forward";
        actionBlock = currentBlock();
    }

    @Override
    protected void doRelay() {
        action = "relay";
        actionBlock = currentBlock();
    }

    @Override
    protected boolean doLooseRoute() {
        return false;
    }

    @Override
    public HeaderFactory headerFactory() {
        return codec.headerFactory();
    }

    @Override
    public AddressFactory addressFactory() {
        return codec.addressFactory();
    }
}
