package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Requests of the proxy's own (OPTIONS probes): answered, timed out on the virtual clock, unresolvable. */
class OwnRequestTest {

    private final SipTestKit kit = SipTestKit.create();

    @AfterEach
    void close() {
        kit.close();
    }

    private Request options(SipProxy proxy, String uri) throws Exception {
        var mf = proxy.codec().messageFactory();
        var hf = proxy.codec().headerFactory();
        var af = proxy.codec().addressFactory();
        return mf.createRequest(af.createURI(uri), "OPTIONS", hf.createCallIdHeader("probe-" + uri),
                hf.createCSeqHeader(1L, "OPTIONS"),
                hf.createFromHeader(af.createAddress("sip:proxy@127.0.0.1"), "p1"),
                hf.createToHeader(af.createAddress(uri), null), List.of(), hf.createMaxForwardsHeader(70));
    }

    @Test
    void probeIsAnsweredAndTimesOut() throws Exception {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> Step.next()));
        Peer gw = kit.peer("127.0.0.7", 5060);
        gw.expect("OPTIONS").reply(200);
        CompletableFuture<Response> answered = proxy.sendRequest(options(proxy, "sip:127.0.0.7:5060"), null);
        kit.runUntilIdle();
        assertThat(answered).isCompletedWithValueMatching(r -> r.getStatusCode() == 200);
        Request probe = gw.takeRequest();
        assertThat(((ViaHeader) probe.getHeader(ViaHeader.NAME)).getHost()).isEqualTo("127.0.0.1");

        CompletableFuture<Response> silent = proxy.sendRequest(options(proxy, "sip:127.0.0.8:5060"), null);
        kit.advance(Duration.ofMillis(31_999));
        assertThat(silent).isNotDone();
        kit.advance(Duration.ofMillis(1));
        assertThat(silent).isCompletedWithValueMatching(r -> r.getStatusCode() == 408);

        CompletableFuture<Response> nowhere = proxy.sendRequest(options(proxy, "sip:x.invalid"), null);
        kit.runUntilIdle();
        assertThat(nowhere).isCompletedWithValueMatching(r -> r.getStatusCode() == 478);
    }
}
