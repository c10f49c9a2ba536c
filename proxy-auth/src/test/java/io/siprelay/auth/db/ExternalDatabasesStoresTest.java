package io.siprelay.auth.db;

import io.siprelay.db.Database;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;

/**
 * The SQL stores against the real MariaDB and PostgreSQL of CI (database {@code test}); only with
 * {@code -Pdatabases}. Tables are named {@code subscriber_<random>} etc. and dropped afterwards.
 */
@Tag("database")
class ExternalDatabasesStoresTest {

    @Nested
    class MariaDb extends JdbcStoresContract {
        @Override
        protected Database.Builder database() {
            return Database.builder().url("jdbc:mariadb://127.0.0.1:3306/test").user("root").password("");
        }
    }

    @Nested
    class PostgreSql extends JdbcStoresContract {
        @Override
        protected Database.Builder database() {
            return Database.builder().url("jdbc:postgresql://127.0.0.1:5432/test").user("postgres");
        }
    }
}
