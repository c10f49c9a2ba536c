package io.siprelay.examples;

import static io.siprelay.testkit.SipAssertions.assertThat;

import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.testkit.SipTestKitExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The example's routes, tested the way an application tests its own. */
@ExtendWith(SipTestKitExtension.class)
class HelloProxyTest {

    @Test
    void inviteGets480(SipTestKit kit) {
        kit.proxy(b -> b.requestRoute(HelloProxy.REQUEST));
        Peer alice = kit.peer("127.0.0.2", 5060);
        alice.send(alice.request("INVITE", "sip:bob@127.0.0.1"));
        assertThat(alice.takeResponse()).hasStatus(480).hasReason("Temporarily Unavailable").hasToTag();
    }

    @Test
    void everythingElseGets501(SipTestKit kit) {
        kit.proxy(b -> b.requestRoute(HelloProxy.REQUEST));
        Peer alice = kit.peer("127.0.0.2", 5060);
        for (String m : new String[] {"REGISTER", "OPTIONS", "BYE", "MESSAGE"}) {
            alice.send(alice.request(m, "sip:bob@127.0.0.1"));
            assertThat(alice.takeResponse()).hasStatus(501).hasReason("Not Implemented");
        }
    }
}
