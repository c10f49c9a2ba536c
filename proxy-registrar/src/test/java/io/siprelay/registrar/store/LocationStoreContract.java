package io.siprelay.registrar.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.clock.VirtualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What every {@link LocationStore} must do; subclasses say which store and database. */
abstract class LocationStoreContract {

    protected final VirtualClock clock = new VirtualClock();
    protected LocationStore store;

    /** A fresh, empty store on {@link #clock}. */
    protected abstract LocationStore open();

    /** Drops whatever the store created. */
    protected void cleanUp() {
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            cleanUp();
            store.close();
        }
    }

    static Binding binding(String ruid, String aor, String contact, long expiresAt, float q) {
        return new Binding(ruid, aor, contact, null, null, expiresAt, q, "cid-" + ruid, 1, expiresAt - 3_600_000,
                0, 0, "UA/1.0", "udp:127.0.0.1:5060", null, null, 0);
    }

    private long now() {
        return clock.wallMillis();
    }

    @Test
    void updateInsertsChangesAndDeletes() {
        store = open();
        long exp = now() + 600_000;
        Binding a = binding("r1", "alice@example.com", "sip:alice@192.0.2.1", exp, 1.0f);
        Binding b = new Binding("r2", "alice@example.com", "sip:alice@192.0.2.2;transport=tcp", "sip:198.51.100.1:5060",
                "<sip:edge.example.com;lr>,<sip:core.example.com;lr>", exp, 0.5f, "cid-2", 7, now(), 1, 2, "Phone",
                null, 3, "<urn:uuid:1>", 1);
        store.update("alice@example.com", now(), cur -> List.of(a, b));
        assertThat(store.get("alice@example.com", now())).containsExactlyInAnyOrder(a, b);
        Binding a2 = a.withExpiry(exp + 60_000, now());
        store.update("alice@example.com", now(), cur -> {
            assertThat(cur).hasSize(2);
            return List.of(a2);
        });
        assertThat(store.get("alice@example.com", now())).containsExactly(a2);
        assertThat(store.get("bob@example.com", now())).isEmpty();
        store.update("alice@example.com", now(), cur -> List.of());
        assertThat(store.get("alice@example.com", now())).isEmpty();
    }

    @Test
    void singleDomainAorsHaveNoDomain() {
        store = open();
        Binding a = binding("s1", "alice", "sip:alice@192.0.2.1", now() + 60_000, 1.0f);
        store.update("alice", now(), cur -> List.of(a));
        assertThat(store.get("alice", now())).containsExactly(a);
        assertThat(store.get("alice@example.com", now())).isEmpty();
        assertThat(store.snapshot(now())).containsOnlyKeys("alice");
    }

    @Test
    void expiredBindingsAreNeverReturned() {
        store = open();
        Binding shortLived = binding("e1", "bob@example.com", "sip:bob@192.0.2.1", now() + 60_000, 1.0f);
        Binding longLived = binding("e2", "bob@example.com", "sip:bob@192.0.2.2", now() + 120_000, 1.0f);
        store.update("bob@example.com", now(), cur -> List.of(shortLived, longLived));
        clock.advance(Duration.ofSeconds(60));
        assertThat(store.get("bob@example.com", now())).containsExactly(longLived);
        assertThat(store.snapshot(now()).get("bob@example.com")).containsExactly(longLived);
        clock.advance(Duration.ofSeconds(60));
        assertThat(store.get("bob@example.com", now())).isEmpty();
        assertThat(store.snapshot(now())).isEmpty();
        store.purgeExpired(now());
        assertThat(store.snapshot(now())).isEmpty();
    }

    @Test
    void aThrowingChangeChangesNothing() {
        store = open();
        Binding a = binding("t1", "carol@example.com", "sip:carol@192.0.2.1", now() + 60_000, 1.0f);
        store.update("carol@example.com", now(), cur -> List.of(a));
        assertThatThrownBy(() -> store.update("carol@example.com", now(), cur -> {
            throw new IllegalStateException("no");
        })).hasMessageContaining("no");
        assertThat(store.get("carol@example.com", now())).containsExactly(a);
    }

    @Test
    void removeAndSnapshot() {
        store = open();
        List<Binding> many = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Binding b = binding("m" + i, "u" + i + "@example.com", "sip:u" + i + "@192.0.2.1", now() + 60_000, 1.0f);
            many.add(b);
            store.update(b.aor(), now(), cur -> List.of(b));
        }
        assertThat(store.snapshot(now())).hasSize(5);
        assertThat(store.remove("u3@example.com", now())).isEqualTo(1);
        assertThat(store.remove("u3@example.com", now())).isZero();
        assertThat(store.snapshot(now())).hasSize(4).doesNotContainKey("u3@example.com");
        assertThat(many).hasSize(5);
    }
}
