package io.siprelay.auth.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.db.Database;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQL stores on embedded H2 (the default database). */
class H2StoresTest extends JdbcStoresContract {

    private final String name = "authtest-" + UUID.randomUUID();

    @Override
    protected Database.Builder database() {
        return Database.builder().url("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
    }

    /** An existing Kamailio table (no ha1_sha256 column, no history table) is kept and used as it is. */
    @Test
    void existingKamailioTableWithoutSha256Column() {
        String url = "jdbc:h2:mem:kam-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        try (Database kamailio = Database.builder().url(url).open()) {
            AuthDatabase raw = AuthDatabase.builder().database(kamailio).subscriberTable("unused_s")
                    .addressTable("unused_a").historyTable("unused_h").build();
            raw.jdbi().useHandle(h -> {
                h.execute("CREATE TABLE subscriber (id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(64) DEFAULT ''"
                        + " NOT NULL, domain VARCHAR(64) DEFAULT '' NOT NULL, password VARCHAR(64) DEFAULT '' NOT NULL,"
                        + " ha1 VARCHAR(128) DEFAULT '' NOT NULL, ha1b VARCHAR(128) DEFAULT '' NOT NULL)");
                h.execute("INSERT INTO subscriber (username, domain, password) VALUES ('kam', 'example.com', 'pw')");
            });
            AuthDatabase kam = AuthDatabase.on(kamailio);
            JdbcSubscriberStore store = new JdbcSubscriberStore(kam);
            assertThat(store.find("kam", "example.com").orElseThrow().password()).isEqualTo("pw");
            store.add("new", "example.com", "pw2");
            assertThat(store.find("new", "example.com").orElseThrow().ha1Sha256()).as("no column").isNull();
            assertThat(store.count()).isEqualTo(2);
        }
    }

    @Test
    void fileDatabaseUnderDataDirectory(@TempDir Path dir) {
        try (AuthDatabase d = AuthDatabase.h2(dir)) {
            new JdbcSubscriberStore(d).add("alice", "example.com", "pw");
        }
        try (AuthDatabase d = AuthDatabase.h2(dir)) {
            assertThat(new JdbcSubscriberStore(d).find("alice", "example.com")).isPresent();
        }
    }
}
