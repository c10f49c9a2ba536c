package io.siprelay.auth.db;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.DigestAlgorithm;
import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.Subscriber;
import io.siprelay.auth.testing.DigestClient;
import io.siprelay.auth.testing.Requests;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.permissions.AddressEntry;
import io.siprelay.permissions.Permissions;
import java.util.ArrayList;
import io.siprelay.db.Database;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SQL stores against one database; subclasses give the database. Table names carry a random suffix so runs in
 * a shared database (and other modules' tables there) never collide, and are dropped afterwards.
 */
abstract class JdbcStoresContract {

    static final String EVIL = "'; DROP TABLE subscriber; --";

    protected final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10)
            .toLowerCase(Locale.ROOT);
    protected Database pool;
    protected AuthDatabase db;

    /** A builder pointing at the database. */
    protected abstract Database.Builder database();

    protected AuthDatabase open() {
        return AuthDatabase.builder().database(pool).subscriberTable("subscriber_" + suffix)
                .addressTable("address_" + suffix).historyTable("authhist_" + suffix).build();
    }

    @BeforeEach
    void openDb() {
        pool = database().poolSize(4).open();
        db = open();
    }

    @AfterEach
    void dropTables() {
        if (db != null) {
            for (String t : List.of("subscriber_" + suffix, "address_" + suffix, "authhist_" + suffix)) {
                db.jdbi().useHandle(h -> h.execute("DROP TABLE IF EXISTS " + t));
            }
            db.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void addFindChangeRemove() {
        JdbcSubscriberStore store = new JdbcSubscriberStore(db);
        assertThat(store.find("alice", "example.com")).isEmpty();
        store.add("alice", "example.com", "wonderland");
        Subscriber s = store.find("alice", "example.com").orElseThrow();
        assertThat(s.password()).isEqualTo("wonderland");
        assertThat(s.ha1()).isEqualTo(DigestClient.h("MD5", "alice:example.com:wonderland"));
        assertThat(s.ha1b()).isEqualTo(DigestClient.h("MD5", "alice@example.com:example.com:wonderland"));
        assertThat(s.ha1Sha256()).isEqualTo(DigestClient.h("SHA-256", "alice:example.com:wonderland"));

        assertThat(store.changePassword("alice", "example.com", "looking-glass")).isTrue();
        assertThat(store.find("alice", "example.com").orElseThrow().password()).as("cache invalidated")
                .isEqualTo("looking-glass");
        assertThat(store.changePassword("nobody", "example.com", "x")).isFalse();

        store.put(Subscriber.withHa1("carol", "example.com", DigestClient.h("MD5", "carol:example.com:pw"), null));
        Subscriber carol = store.find("carol", "example.com").orElseThrow();
        assertThat(carol.password()).isNull();
        assertThat(carol.ha1For(DigestAlgorithm.MD5, "carol", "example.com"))
                .isEqualTo(DigestClient.h("MD5", "carol:example.com:pw"));
        assertThat(carol.ha1For(DigestAlgorithm.SHA_256, "carol", "example.com")).isNull();
        assertThat(store.count()).isEqualTo(2);

        assertThat(store.remove("alice", "example.com")).isTrue();
        assertThat(store.remove("alice", "example.com")).isFalse();
        assertThat(store.find("alice", "example.com")).isEmpty();
    }

    @Test
    void reopeningKeepsData() {
        new JdbcSubscriberStore(db).add("alice", "example.com", "wonderland");
        try (AuthDatabase again = open()) {
            assertThat(new JdbcSubscriberStore(again).find("alice", "example.com")).isPresent();
        }
    }

    /** A hostile username authenticates nothing and changes nothing. */
    @Test
    void sqlInjectionInUsernameDoesNothing() {
        JdbcSubscriberStore store = new JdbcSubscriberStore(db);
        store.add("alice", "example.com", "wonderland");
        assertThat(store.find(EVIL, "example.com")).isEmpty();
        assertThat(store.find("alice' OR '1'='1", "example.com")).isEmpty();
        assertThat(store.find("alice", "example.com' OR '1'='1")).isEmpty();

        List<AuthResult> results = new ArrayList<>();
        try (SipTestKit kit = SipTestKit.create()) {
            DigestAuth auth = DigestAuth.builder().subscribers(store).clock(kit.clock()).identityCheck(false).build();
            kit.proxy(b -> b.requestRoute(ctx -> {
                AuthResult r = auth.check(ctx, "example.com");
                results.add(r);
                return r.isOk() ? ctx.reply(200, "OK") : auth.challenge(ctx, "example.com");
            }));
            Peer p = kit.peer("127.0.0.2", 5060);
            Request reg = Requests.register(kit, p, "alice", "example.com");
            p.send(reg);
            Response challenge = p.takeResponse();
            for (String user : List.of(EVIL, "alice' --", "alice' OR '1'='1")) {
                p.send(new DigestClient(user, "x", "SHA-256", kit.codec().headerFactory())
                        .authorize(Requests.next(reg), challenge));
                assertThat(p.takeResponse()).hasStatus(401);
            }
        }
        assertThat(results).containsExactly(AuthResult.NO_CREDENTIALS, AuthResult.USER_NOT_FOUND,
                AuthResult.USER_NOT_FOUND, AuthResult.USER_NOT_FOUND);
        assertThat(store.remove(EVIL, "example.com")).isFalse();
        assertThat(store.count()).as("table still there, rows unchanged").isEqualTo(1);
        assertThat(store.find("alice", "example.com")).isPresent();

        // stored as a literal name it is just a (strange) user
        store.add(EVIL, "example.com", "pw");
        assertThat(store.find(EVIL, "example.com").orElseThrow().username()).isEqualTo(EVIL);
        assertThat(store.count()).isEqualTo(2);
    }

    @Test
    void addressTableFeedsPermissions() {
        JdbcAddressStore addresses = new JdbcAddressStore(db);
        addresses.add(new AddressEntry(200, "192.0.2.10", 32, 0, "carrier"));
        addresses.add(new AddressEntry(1, "2001:db8::", 32, 5060, null));
        Permissions perms = Permissions.load(addresses);
        assertThat(perms.allow(200, "192.0.2.10", 5060)).isTrue();
        assertThat(perms.match(200, "192.0.2.10", 5060)).get().extracting(AddressEntry::tag).isEqualTo("carrier");
        assertThat(perms.allow(1, "2001:db8:1::5", 5060)).isTrue();

        addresses.add(new AddressEntry(200, "198.51.100.0", 24, 0, null));
        assertThat(perms.allow(200, "198.51.100.9", 1)).as("not before the reload").isFalse();
        assertThat(perms.reload().ok()).isTrue();
        assertThat(perms.allow(200, "198.51.100.9", 1)).isTrue();

        // a bad row makes the reload fail and keeps the old data
        db.jdbi().useHandle(h -> h.execute("INSERT INTO " + db.addressTable()
                + " (grp, ip_addr, mask, port) VALUES (3, 'not-an-ip', 32, 0)"));
        assertThat(perms.reload().error()).contains("not-an-ip");
        assertThat(perms.size()).isEqualTo(3);

        assertThat(addresses.removeGroup(3)).isEqualTo(1);
        assertThat(addresses.remove(new AddressEntry(200, "192.0.2.10", 32, 0, null))).isEqualTo(1);
        assertThat(perms.reload()).extracting(r -> r.entries()).isEqualTo(2);
    }
}
