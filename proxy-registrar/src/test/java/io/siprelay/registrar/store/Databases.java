package io.siprelay.registrar.store;

import java.util.concurrent.ThreadLocalRandom;

/** Connection settings of the test databases, and unique table names so parallel runs do not collide. */
final class Databases {

    static final String MARIADB_URL = System.getProperty("siprelay.test.mariadb", "jdbc:mariadb://127.0.0.1:3306/test");
    static final String POSTGRES_URL = System.getProperty("siprelay.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test");

    private Databases() {
    }

    static String uniqueTable() {
        return "location_t" + Long.toHexString(System.nanoTime()) + ThreadLocalRandom.current().nextInt(1000);
    }

    static LocationDatabase.Builder mariadb(String table) {
        return LocationDatabase.builder().jdbcUrl(MARIADB_URL).user("root").password("").table(table)
                .maxPoolSize(4);
    }

    static LocationDatabase.Builder postgres(String table) {
        return LocationDatabase.builder().jdbcUrl(POSTGRES_URL).user("postgres").password("").table(table)
                .maxPoolSize(4);
    }

    static LocationDatabase.Builder h2Memory(String table) {
        return LocationDatabase.builder().jdbcUrl("jdbc:h2:mem:" + table + ";DB_CLOSE_DELAY=-1").table(table)
                .maxPoolSize(4);
    }
}
