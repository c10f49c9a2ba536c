package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.ReplyRoute;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sip.header.ContentTypeHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Routes that wait for work off the lane: RequestContext.suspend (the request route returns, a continuation relays
 * or replies later) and ReplyContext.suspend (a response is held, later ones wait behind it).
 */
class SuspendTest {

    private static final io.siprelay.core.codec.SipCodec KIT_CODEC = io.siprelay.core.codec.SipCodec.create();
    private final SipTestKit kit = SipTestKit.create();
    private final AtomicInteger routeRuns = new AtomicInteger();
    private final CompletableFuture<String> work = new CompletableFuture<>();
    private SipProxy proxy;
    private Peer alice;
    private Peer bob;

    @AfterEach
    void close() {
        kit.close();
    }

    private void start(Route route) {
        proxy = kit.proxy(b -> b.requestRoute(route));
        alice = kit.peer("127.0.0.2", 5060);
        bob = kit.peer("127.0.0.11", 5060);
    }

    /** Suspends every request on {@link #work}; the continuation relays to bob with the result as a header. */
    private Route suspendThenRelay(ReplyRoute onReply) {
        return ctx -> {
            routeRuns.incrementAndGet();
            return ctx.suspend(work, (c, result, failure) -> {
                if (failure != null) {
                    return c.reply(503, "Media Relay Unavailable");
                }
                c.addHeader("X-Work", result);
                c.setRequestUri("sip:bob@127.0.0.11:5060");
                if (onReply != null) {
                    c.onReply(onReply);
                }
                return c.relay();
            });
        };
    }

    @Test
    void continuationRelaysOnceTheWorkIsDoneAndRetransmissionsWaitMeanwhile() {
        start(suspendThenRelay(null));
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        alice.send(invite); // retransmitted while the route waits
        assertThat(alice.inboxEmpty()).as("nothing answered before the work completes").isTrue();
        assertThat(bob.inboxEmpty()).isTrue();
        assertThat(proxy.stats().suspendedRoutes()).isEqualTo(1);

        work.complete("done");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        Request at = bob.takeRequest();
        assertThat(at.getMethod()).isEqualTo("INVITE");
        assertThat(at.getHeader("X-Work").toString()).contains("done");
        assertThat(routeRuns.get()).as("the retransmission did not run the route again").isEqualTo(1);

        alice.send(invite); // now the transaction absorbs it and repeats its 100
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        bob.reply(at, 200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(bob.inboxEmpty()).isTrue();
        assertThat(routeRuns.get()).isEqualTo(1);
    }

    @Test
    void failedWorkReachesTheContinuation() {
        start(suspendThenRelay(null));
        alice.send(alice.request("INVITE", "sip:bob@example.com"));
        work.completeExceptionally(new IllegalStateException("rtpengine timed out"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(503);
        assertThat(bob.inboxEmpty()).isTrue();
    }

    @Test
    void aContinuationThatThrowsIsAnswered500() {
        start(ctx -> ctx.suspend(work, (c, r, f) -> {
            throw new IllegalArgumentException("bug in the continuation");
        }));
        alice.send(alice.request("OPTIONS", "sip:bob@example.com"));
        work.complete("x");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(500);
        assertThat(proxy.stats().routeErrors()).isEqualTo(1);
    }

    @Test
    void aContinuationMaySuspendAgain() {
        CompletableFuture<String> second = new CompletableFuture<>();
        start(ctx -> ctx.suspend(work, (c, r, f) -> c.suspend(second, (c2, r2, f2) -> c2.reply(486, r + r2))));
        alice.send(alice.request("INVITE", "sip:bob@example.com"));
        work.complete("Busy ");
        assertThat(alice.inboxEmpty()).isTrue();
        second.complete("Here");
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(486);
        assertThat(r.getReasonPhrase()).isEqualTo("Busy Here");
    }

    @Test
    void aTerminalActionAfterSuspendIsRefused() {
        start(ctx -> {
            ctx.suspend(work, (c, r, f) -> c.reply(200, "OK"));
            return ctx.reply(486, "Busy Here");
        });
        alice.send(alice.request("OPTIONS", "sip:bob@example.com"));
        kit.runUntilIdle();
        assertThat(proxy.stats().routeErrors()).isEqualTo(1);
        work.complete("x");
        assertThat(alice.takeResponse().getStatusCode()).as("the continuation still answers").isEqualTo(200);
    }

    @Test
    void heldResponseGoesUpEditedAndLaterResponsesWaitBehindIt() {
        CompletableFuture<String> answer = new CompletableFuture<>();
        start(suspendThenRelay(reply -> {
            if (reply.status() == 183) {
                reply.suspend(answer, (rc, sdp, failure) -> setBody(rc.response(), sdp));
            }
        }));
        work.complete("offer");
        alice.send(alice.request("INVITE", "sip:bob@example.com"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        Request at = bob.takeRequest();
        bob.reply(at, 183);
        bob.reply(at, 200);
        assertThat(alice.inboxEmpty()).as("the 183 waits, and the 200 behind it").isTrue();
        assertThat(proxy.stats().suspendedReplies()).isEqualTo(1);

        answer.complete("v=0\r\ns=relayed\r\n");
        Response first = alice.takeResponse();
        assertThat(first.getStatusCode()).isEqualTo(183);
        assertThat(new String(first.getRawContent(), StandardCharsets.UTF_8)).contains("s=relayed");
        assertThat(first.getContentLength().getContentLength()).isEqualTo(first.getRawContent().length);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(alice.inboxEmpty()).isTrue();
    }

    @Test
    void aCancelWhileAResponseIsHeldStillEndsTheCall() {
        CompletableFuture<String> answer = new CompletableFuture<>();
        start(suspendThenRelay(reply -> {
            if (reply.status() == 180) {
                reply.suspend(answer, (rc, sdp, failure) -> { });
            }
        }));
        work.complete("offer");
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        alice.takeResponse(); // 100
        Request at = bob.takeRequest();
        bob.reply(at, 180);
        alice.send(alice.cancel(invite));
        assertThat(alice.takeResponse().getStatusCode()).as("200 for the CANCEL").isEqualTo(200);
        Request cancel = bob.takeRequest();
        assertThat(cancel.getMethod()).isEqualTo("CANCEL");
        bob.reply(cancel, 200);
        bob.reply(at, 487);
        assertThat(bob.takeRequest().getMethod()).isEqualTo("ACK");
        assertThat(alice.inboxEmpty()).as("the 487 waits behind the held 180").isTrue();
        answer.complete("");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(487);
    }

    @Test
    void suspendingTwiceInOneReplyRouteIsRefused() {
        CompletableFuture<String> answer = new CompletableFuture<>();
        start(suspendThenRelay(reply -> {
            reply.suspend(answer, (rc, r, f) -> { });
            assertThatThrownBy(() -> reply.suspend(answer, (rc, r, f) -> { }))
                    .isInstanceOf(IllegalStateException.class);
        }));
        work.complete("offer");
        alice.send(alice.request("INVITE", "sip:bob@example.com"));
        alice.takeResponse();
        bob.reply(bob.takeRequest(), 486);
        answer.complete("");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(486);
    }

    private static void setBody(Response r, String sdp) {
        try {
            ContentTypeHeader type = KIT_CODEC.headerFactory()
                    .createContentTypeHeader("application", "sdp");
            r.setContent(sdp.getBytes(StandardCharsets.UTF_8), type);
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }
}
