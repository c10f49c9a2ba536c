package io.siprelay.registrar;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kamailio 101, parts 4 and 5, as Java routes: REGISTER is saved; an INVITE to a registered user is relayed to its
 * contact; an INVITE to an unknown user gets 404 "User not Registered". The config it mirrors:
 *
 * <pre>
 * request_route {
 *     if (is_method("REGISTER")) { save("location"); exit; }
 *     if (!lookup("location")) { sl_send_reply("404", "User not Registered"); exit; }
 *     t_relay();
 * }
 * </pre>
 */
class Kamailio101RegistrarTest {

    private final SipTestKit kit = SipTestKit.create();
    private final Registrar registrar = Registrar.builder().clock(kit.clock()).build();

    private final Route register = Route.named("REGISTRAR", ctx ->
            ctx.isMethod("REGISTER") ? ctx.route(registrar.save()) : Step.next());

    private final Route location = Route.named("LOCATION", ctx ->
            registrar.lookup(ctx) == LookupResult.FOUND ? Step.next() : ctx.reply(404, "User not Registered"));

    private final Route requestRoute = Route.seq(register, location, Route.named("RELAY", ctx -> ctx.relay()));

    @AfterEach
    void close() {
        registrar.close();
        kit.close();
    }

    @Test
    void registerThenCall() {
        kit.proxy(b -> b.requestRoute(requestRoute));
        Peer bob = kit.peer("127.0.0.3", 5060);
        Ua bobUa = new Ua(kit, bob, "bob@kamailio.test");
        Response ok = bobUa.send(bobUa.register("3600", "<sip:bob@127.0.0.3:5060>"));
        assertThat(ok).hasStatus(200);
        assertThat(Ua.contacts(ok)).containsExactly("<sip:bob@127.0.0.3:5060>;expires=3600");

        Peer alice = kit.peer("127.0.0.2", 5060);
        Request invite = alice.request("INVITE", "sip:bob@kamailio.test");
        alice.send(invite);
        assertThat(alice.takeResponse()).hasStatus(100);
        Request atBob = bob.takeRequest();
        assertThat(atBob).isRequest("INVITE");
        assertThat(atBob.getRequestURI().toString()).isEqualTo("sip:bob@127.0.0.3:5060");
        bob.reply(atBob, 180);
        bob.reply(atBob, 200);
        assertThat(alice.takeResponse()).hasStatus(180);
        assertThat(alice.takeResponse()).hasStatus(200);
    }

    @Test
    void unknownUserIs404UserNotRegistered() {
        kit.proxy(b -> b.requestRoute(requestRoute));
        Peer alice = kit.peer("127.0.0.2", 5060);
        alice.send(alice.request("INVITE", "sip:carol@kamailio.test"));
        assertThat(alice.takeResponse()).hasStatus(404).hasReason("User not Registered");
    }
}
