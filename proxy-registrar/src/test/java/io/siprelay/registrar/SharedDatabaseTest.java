package io.siprelay.registrar;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.db.Database;
import io.siprelay.registrar.store.JdbcLocationStore;
import io.siprelay.registrar.store.LocationDatabase;
import java.util.concurrent.ThreadLocalRandom;
import javax.sip.message.Request;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two proxies sharing one PostgreSQL database in database-only mode (usrloc db_mode=3): a user registered through
 * one is reachable through the other. Proxy A is 127.0.0.1:5060, proxy B 127.0.0.4:5060.
 */
@Tag("database")
class SharedDatabaseTest {

    private static final String URL = System.getProperty("siprelay.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test");

    @Test
    void registeredThroughOneReachableThroughTheOther() {
        String table = "location_shared" + Long.toHexString(System.nanoTime())
                + ThreadLocalRandom.current().nextInt(1000);
        try (Database instanceA = Database.builder().url(URL).user("postgres").open();
             Database instanceB = Database.builder().url(URL).user("postgres").open();
             SipTestKit kit = SipTestKit.create();
             JdbcLocationStore storeA = new JdbcLocationStore(
                     LocationDatabase.builder().database(instanceA).table(table).build());
             JdbcLocationStore storeB = new JdbcLocationStore(
                     LocationDatabase.builder().database(instanceB).table(table).build());
             Registrar regA = Registrar.builder().clock(kit.clock()).store(storeA).build();
             Registrar regB = Registrar.builder().clock(kit.clock()).store(storeB).build()) {
            try {
                kit.proxy("127.0.0.1", 5060, b -> b.requestRoute(PersistenceTest.routes(regA)));
                kit.proxy("127.0.0.4", 5060, b -> b.requestRoute(PersistenceTest.routes(regB)));
                Peer alicePhone = kit.peer("127.0.0.2", 5060).target("127.0.0.1", 5060);
                Ua alice = new Ua(kit, alicePhone, "alice@example.com");
                assertThat(alice.send(alice.register("600", "<sip:alice@127.0.0.2:5060>"))).hasStatus(200);

                Peer bob = kit.peer("127.0.0.3", 5060).target("127.0.0.4", 5060);
                bob.send(bob.request("INVITE", "sip:alice@example.com"));
                assertThat(bob.takeResponse()).hasStatus(100);
                Request at = alicePhone.takeRequest();
                assertThat(at).isRequest("INVITE");
                assertThat(at.getRequestURI().toString()).isEqualTo("sip:alice@127.0.0.2:5060");
                alicePhone.reply(at, 200);
                assertThat(bob.takeResponse()).hasStatus(200);

                // a refresh through B updates the same row; unregistering through B is seen by A
                alicePhone.target("127.0.0.4", 5060);
                assertThat(alice.send(alice.register("300", "<sip:alice@127.0.0.2:5060>"))).hasStatus(200);
                assertThat(regA.contacts("alice@example.com")).singleElement()
                        .satisfies(c -> assertThat(c.cseq()).isEqualTo(2));
                regB.unregister("alice@example.com");
                assertThat(regA.registered("alice@example.com")).isFalse();
            } finally {
                storeA.database().dropTable();
            }
        }
    }
}
