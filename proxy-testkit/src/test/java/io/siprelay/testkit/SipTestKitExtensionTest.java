package io.siprelay.testkit;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** How an application tests its own routes: the extension hands a kit, the assertions read SIP. */
@ExtendWith(SipTestKitExtension.class)
class SipTestKitExtensionTest {

    static final Route ROUTES = Route.named("request_route", ctx -> ctx.isMethod("INVITE")
            ? ctx.reply(480, "Temporarily Unavailable")
            : ctx.reply(501, "Not Implemented"));

    @Test
    void inviteGets480(SipTestKit kit) {
        kit.proxy(b -> b.requestRoute(ROUTES));
        Peer alice = kit.peer("127.0.0.2", 5062);
        alice.send(alice.request("INVITE", "sip:bob@127.0.0.1"));
        assertThat(alice.takeResponse()).hasStatus(480).hasReason("Temporarily Unavailable").hasToTag()
                .hasHeaderCount("Via", 1).hasHeaderValue("Content-Length", "0");
    }

    @Test
    void scriptedPeerAnswersAndTheClockAdvances(SipTestKit kit) {
        kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.forward();
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Peer bob = kit.peer("127.0.0.3", 5060);
        bob.expect("OPTIONS").reply(200);
        alice.send(alice.request("OPTIONS", "sip:bob@example.com"));
        assertThat(bob.takeRequest()).isRequest("OPTIONS").hasHeaderCount("Via", 2);
        assertThat(alice.takeResponse()).hasStatus(200).hasHeaderCount("Via", 1);
        kit.advance(Duration.ofSeconds(32));
        org.assertj.core.api.Assertions.assertThat(kit.clock().millis()).isEqualTo(32_000L);
    }

    @Test
    void assertionsFailWithTheMessage(SipTestKit kit) {
        kit.proxy(b -> b.requestRoute(ROUTES));
        Peer alice = kit.peer("127.0.0.2", 5062);
        alice.send(alice.request("OPTIONS", "sip:bob@127.0.0.1"));
        var response = alice.takeResponse();
        assertThatThrownBy(() -> assertThat(response).hasStatus(200))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Expected status <200> but was <501 Not Implemented>");
    }
}
