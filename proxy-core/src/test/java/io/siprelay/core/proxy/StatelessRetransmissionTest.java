package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.core.transport.TransportType;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sip.header.CSeqHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A request answered statelessly and then retransmitted gets the same reply bytes again without running the route
 * (RFC 3261 §17.2.2), for 64×T1 over UDP; never over TCP, whose clients do not retransmit.
 */
class StatelessRetransmissionTest {

    private final SipTestKit kit = SipTestKit.create();
    private final AtomicInteger routed = new AtomicInteger();

    @AfterEach
    void close() {
        kit.close();
    }

    /** A route whose every reply differs, as a digest challenge with a fresh nonce does. */
    private SipProxy proxy() {
        return kit.proxy(b -> b.requestRoute(ctx -> {
            int n = routed.incrementAndGet();
            return ctx.reply(404, "Not Found " + n);
        }));
    }

    /** An OPTIONS from a new UDP or TCP peer, sent once; returns it for retransmission. */
    private Request sendOptions(Peer alice) {
        Request options = alice.request("OPTIONS", "sip:bob@example.com");
        alice.send(options);
        return options;
    }

    private static String bytes(SipTestKit kit, Response r) {
        return new String(kit.codec().encode(r));
    }

    @Test
    void retransmissionGetsTheSameBytesAndTheRouteRunsOnce() {
        proxy();
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request options = sendOptions(alice);
        Response first = alice.takeResponse();
        assertThat(first.getReasonPhrase()).isEqualTo("Not Found 1");
        for (int i = 0; i < 4; i++) {
            kit.advance(Duration.ofMillis(500L << i));
            alice.send(options);
            assertThat(bytes(kit, alice.takeResponse())).isEqualTo(bytes(kit, first));
        }
        assertThat(routed).hasValue(1);
    }

    @Test
    void aNewTransactionIsRoutedAgainEvenWhenABrokenClientReusesTheBranch() throws Exception {
        proxy();
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request options = sendOptions(alice);
        alice.takeResponse();
        Request next = (Request) options.clone();
        ((CSeqHeader) next.getHeader(CSeqHeader.NAME)).setSeqNumber(
                ((CSeqHeader) options.getHeader(CSeqHeader.NAME)).getSeqNumber() + 1);
        alice.send(next); // same branch, next CSeq: not a retransmission
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Not Found 2");
    }

    @Test
    void theRecordEndsAfter64T1() {
        proxy();
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request options = sendOptions(alice);
        alice.takeResponse();
        kit.advance(Duration.ofMillis(31_900));
        alice.send(options);
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Not Found 1");
        kit.advance(Duration.ofMillis(200));
        alice.send(options);
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Not Found 2");
    }

    @Test
    void tcpRepliesAreNotKept() {
        proxy(); // the kit's proxy listens on TCP as well
        Peer alice = kit.peer(TransportType.TCP, "127.0.0.2", 5062);
        Request options = sendOptions(alice);
        alice.takeResponse();
        alice.send(options);
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Not Found 2");
    }
}
