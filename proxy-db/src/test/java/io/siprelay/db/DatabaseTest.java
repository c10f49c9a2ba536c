package io.siprelay.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {

    private static String memUrl() {
        return "jdbc:h2:mem:dbtest-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    }

    private static Migration items(String table, String history) {
        return new Migration(DatabaseTest.class, "dbtest/{dialect}", history, Map.of("table", table));
    }

    private static <T> T one(Database db, String sql, Class<T> type) {
        return db.jdbi().withHandle(h -> h.createQuery(sql).mapTo(type).one());
    }

    @Test
    void twoComponentsMigrateOnOnePoolEachWithItsOwnHistory() {
        try (Database db = Database.builder().url(memUrl()).poolSize(2).open()) {
            assertThat(db.dialect()).isEqualTo(SqlDialect.H2);
            db.migrate(items("a_items", "a_history"));
            db.migrate(items("b_items", "b_history"));
            db.migrate(items("a_items", "a_history")); // a second start: nothing to do
            db.jdbi().useHandle(h -> h.execute("INSERT INTO a_items (id, name) VALUES (1, 'x')"));
            assertThat(one(db, "SELECT COUNT(*) FROM b_items", Integer.class)).isZero();
            for (String history : new String[] {"a_history", "b_history"}) {
                String v1 = "SELECT COUNT(*) FROM \"" + history + "\" WHERE \"version\" = '1' AND \"success\"";
                assertThat(one(db, v1, Integer.class)).as(history).isEqualTo(1);
            }
        }
    }

    @Test
    void anotherProcessRunningTheSameMigrationLaterFindsItDone(@TempDir Path dir) {
        try (Database db = Database.h2(dir, "shared")) {
            db.migrate(items("items", "items_history"));
            db.jdbi().useHandle(h -> h.execute("INSERT INTO items (id, name) VALUES (1, 'kept')"));
        }
        assertThat(Files.exists(dir.resolve("shared.mv.db"))).isTrue();
        try (Database db = Database.h2(dir, "shared")) {
            db.migrate(items("items", "items_history"));
            assertThat(one(db, "SELECT name FROM items", String.class)).isEqualTo("kept");
        }
    }

    @Test
    void aDataSourceOfTheApplicationIsUsedAndLeftOpen() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(memUrl());
        Connection keep = ds.getConnection(); // keeps the in-memory database alive
        try (Database db = Database.of(ds)) {
            assertThat(db.dialect()).isEqualTo(SqlDialect.H2);
            db.migrate(items("items", "items_history"));
        }
        assertThat(keep.createStatement().executeQuery("SELECT COUNT(*) FROM items").next()).isTrue();
        keep.close();
    }

    @Test
    void closingTheDatabaseClosesItsPool() {
        Database db = Database.builder().url(memUrl()).open();
        db.close();
        assertThatThrownBy(() -> db.jdbi().withHandle(h -> h.execute("SELECT 1")))
                .hasRootCauseMessage("HikariDataSource HikariDataSource (siprelay-db) has been closed.");
    }

    @Test
    void badSettingsFailWithTheReason() {
        assertThatThrownBy(() -> Database.builder().url("jdbc:nosuchdb://localhost/x").open())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported JDBC URL (H2, MySQL/MariaDB or PostgreSQL)");
        assertThatThrownBy(() -> Database.builder().open()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a JDBC URL is required");
        assertThatThrownBy(() -> Database.builder().poolSize(0)).hasMessageContaining("pool size must be >= 1");
        assertThatThrownBy(() -> Database.builder().connectTimeout(Duration.ZERO))
                .hasMessageContaining("connect timeout must be positive");
        // nothing listens on port 9 of the loopback: the driver's reason comes back within the connect timeout
        assertThatThrownBy(() -> Database.builder().url("jdbc:postgresql://127.0.0.1:9/test")
                .connectTimeout(Duration.ofMillis(500)).open()).hasMessageContaining("Connection");
    }

    @Test
    void tableNamesAreCheckedBeforeTheyReachSql() {
        assertThat(Migration.identifier("location_b")).isEqualTo("location_b");
        for (String evil : new String[] {"x; DROP TABLE subscriber", "", "1abc", "a-b", "a".repeat(64), null}) {
            assertThatThrownBy(() -> Migration.identifier(evil)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a plain SQL identifier");
        }
    }

    @Test
    void dialects() {
        assertThat(SqlDialect.fromUrl("jdbc:mariadb://h/db")).isEqualTo(SqlDialect.MYSQL);
        assertThat(SqlDialect.fromUrl("jdbc:mysql://h/db")).isEqualTo(SqlDialect.MYSQL);
        assertThat(SqlDialect.fromUrl("JDBC:PostgreSQL://h/db")).isEqualTo(SqlDialect.POSTGRESQL);
        assertThat(SqlDialect.fromProductName("MariaDB")).isEqualTo(SqlDialect.MYSQL);
        assertThat(SqlDialect.fromProductName("PostgreSQL")).isEqualTo(SqlDialect.POSTGRESQL);
        assertThat(SqlDialect.MYSQL.quote("t")).isEqualTo("`t`");
        assertThat(SqlDialect.H2.quote("t")).isEqualTo("\"t\"");
        assertThat(Database.displayUrl("jdbc:mariadb://h/db?user=a&password=secret")).isEqualTo("jdbc:mariadb://h/db");
        assertThat(Database.displayUrl("jdbc:h2:file:/x;PASSWORD=pw")).isEqualTo("jdbc:h2:file:/x;PASSWORD=***");
    }
}
