package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.concurrent.LaneExecutor;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sip.header.RetryAfterHeader;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** DESIGN §3: when the worker queues are full, new requests get 503 + Retry-After and a counter says so. */
class OverloadTest {

    private final SipTestKit kit = SipTestKit.create();
    private final LaneExecutor lanes = new LaneExecutor(1, 4);

    @AfterEach
    void close() {
        kit.close();
        lanes.close();
    }

    @Test
    @Timeout(20)
    void fullQueueRejectsNewRequestsWith503AndRetryAfter() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch firstStarted = new CountDownLatch(1);
        SipProxy proxy = kit.proxy(b -> b.executor(lanes).retryAfterSeconds(7).requestRoute(ctx -> {
            firstStarted.countDown();
            try {
                release.await(); // a route stuck on a slow database
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ctx.reply(200, "OK");
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);

        alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        kit.runUntilIdle();
        assertThat(firstStarted.await(5, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 10; i++) {
            alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        }
        kit.runUntilIdle();

        // the one lane is blocked: 3 requests fit below the new-work mark (3/4 of 4), 7 are refused at once
        List<Response> refused = drain(alice, 7);
        assertThat(refused).hasSize(7).allSatisfy(r -> {
            assertThat(r.getStatusCode()).isEqualTo(503);
            assertThat(((RetryAfterHeader) r.getHeader(RetryAfterHeader.NAME)).getRetryAfter()).isEqualTo(7);
        });
        assertThat(proxy.stats().overloadRejected()).isEqualTo(7);

        release.countDown();
        List<Response> answered = drain(alice, 4);
        assertThat(answered).extracting(Response::getStatusCode).containsOnly(200);
    }

    @Test
    void relaysInProgressAreBounded() {
        try (SipTestKit k = SipTestKit.create()) {
            SipProxy proxy = k.proxy(b -> b.maxRelays(2).requestRoute(ctx -> {
                ctx.setDestination("sip:127.0.0.3:5060");
                return ctx.relay();
            }));
            Peer alice = k.peer("127.0.0.2", 5062);
            k.peer("127.0.0.3", 5060); // rings forever: relays stay in progress
            for (int i = 0; i < 3; i++) {
                alice.send(alice.request("INVITE", "sip:bob@example.com"));
            }
            List<Integer> codes = new ArrayList<>();
            while (!alice.inboxEmpty()) {
                codes.add(alice.takeResponse().getStatusCode());
            }
            assertThat(codes).containsExactly(100, 100, 503);
            assertThat(proxy.activeRelays()).isEqualTo(2);
            assertThat(proxy.stats().overloadRejected()).isEqualTo(1);
        }
    }

    private List<Response> drain(Peer peer, int count) throws InterruptedException {
        List<Response> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (out.size() < count && System.nanoTime() < deadline) {
            if (peer.inboxEmpty()) {
                Thread.sleep(5); // the lane thread answers asynchronously; wait boundedly for it
                continue;
            }
            out.add(peer.takeResponse());
        }
        return out;
    }
}
