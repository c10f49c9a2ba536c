package io.siprelay.registrar;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.registrar.store.LocationDatabase;
import io.siprelay.registrar.store.WriteThroughLocationStore;
import io.siprelay.registrar.ul.UlAor;
import java.nio.file.Path;
import java.time.Duration;
import javax.sip.message.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Write-through persistence on an H2 file: a restarted proxy still has every unexpired binding. */
class PersistenceTest {

    @TempDir
    Path dataDir;

    static Route routes(Registrar registrar) {
        return ctx -> {
            if (ctx.isMethod("REGISTER")) {
                return ctx.route(registrar.save());
            }
            return switch (registrar.lookup(ctx)) {
                case FOUND -> ctx.relay();
                case NOT_FOUND -> ctx.reply(404, "User not Registered");
                case METHOD_NOT_ALLOWED -> ctx.reply(405, "Method Not Allowed");
            };
        };
    }

    @Test
    void bindingsSurviveARestartWithTheirRemainingExpiry() {
        // first run: alice (600 s, NATed) and bob (two contacts, 300 s and 900 s) register; 100 s pass
        try (SipTestKit kit = SipTestKit.create();
             LocationDatabase db = LocationDatabase.h2(dataDir);
             WriteThroughLocationStore store = new WriteThroughLocationStore(kit.clock(), db);
             Registrar registrar = Registrar.builder().clock(kit.clock()).store(store).build()) {
            kit.proxy(b -> b.requestRoute(routes(registrar)));
            Ua alice = new Ua(kit, kit.peer("127.0.0.2", 5060), "alice@example.com");
            assertThat(alice.send(alice.register("600", "<sip:alice@10.0.0.2:5060>"))).hasStatus(200);
            Ua bob = new Ua(kit, kit.peer("127.0.0.3", 5060), "bob@example.com");
            assertThat(bob.send(bob.register(null, "<sip:bob@127.0.0.3:5060>;expires=300;q=0.8",
                    "<sip:bob@127.0.0.3:5070>;expires=900"))).hasStatus(200);
            Ua carol = new Ua(kit, kit.peer("127.0.0.4", 5060), "carol@example.com");
            assertThat(carol.send(carol.register("60", "<sip:carol@127.0.0.4:5060>"))).hasStatus(200);
            kit.advance(Duration.ofSeconds(100));
        }
        // second run: a new process would start later; here 150 s after the first run's start
        try (SipTestKit kit = SipTestKit.create()) {
            kit.advance(Duration.ofSeconds(150));
            try (LocationDatabase db = LocationDatabase.h2(dataDir);
                 WriteThroughLocationStore store = new WriteThroughLocationStore(kit.clock(), db);
                 Registrar registrar = Registrar.builder().clock(kit.clock()).store(store).build()) {
                kit.proxy(b -> b.requestRoute(routes(registrar)));
                LocationService ul = registrar.locationService();
                UlAor alice = ul.lookup("alice@example.com").orElseThrow();
                assertThat(alice.contacts()).singleElement().satisfies(c -> {
                    assertThat(c.contact().address()).isEqualTo("sip:alice@10.0.0.2:5060");
                    assertThat(c.contact().expires()).isEqualTo(450);
                    assertThat(c.contact().received()).isEqualTo("sip:127.0.0.2:5060");
                });
                UlAor bob = ul.lookup("bob@example.com").orElseThrow();
                assertThat(bob.contacts()).extracting(c -> c.contact().expires()).containsExactly(750L, 150L);
                assertThat(ul.lookup("carol@example.com")).as("expired while down").isEmpty();

                Peer alicePhone = kit.peer("127.0.0.2", 5060);
                Peer caller = kit.peer("127.0.0.9", 5060);
                caller.send(caller.request("INVITE", "sip:alice@example.com"));
                assertThat(caller.takeResponse()).hasStatus(100);
                Request at = alicePhone.takeRequest();
                assertThat(at.getRequestURI().toString()).isEqualTo("sip:alice@10.0.0.2:5060");
            }
        }
    }
}
