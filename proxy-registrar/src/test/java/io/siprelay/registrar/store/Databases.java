package io.siprelay.registrar.store;

import io.siprelay.db.Database;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Connection settings of the test databases, and unique table names so parallel runs do not collide. */
final class Databases {

    static final String MARIADB_URL = System.getProperty("siprelay.test.mariadb", "jdbc:mariadb://127.0.0.1:3306/test");
    static final String POSTGRES_URL = System.getProperty("siprelay.test.postgres",
            "jdbc:postgresql://127.0.0.1:5432/test");

    private static final Map<String, Database> POOLS = new ConcurrentHashMap<>();

    private Databases() {
    }

    static String uniqueTable() {
        return "location_t" + Long.toHexString(System.nanoTime()) + ThreadLocalRandom.current().nextInt(1000);
    }

    static LocationDatabase.Builder mariadb(String table) {
        return LocationDatabase.builder().database(shared(MARIADB_URL, "root")).table(table);
    }

    static LocationDatabase.Builder postgres(String table) {
        return LocationDatabase.builder().database(shared(POSTGRES_URL, "postgres")).table(table);
    }

    static LocationDatabase.Builder h2Memory(String table) {
        return LocationDatabase.builder().database(shared("jdbc:h2:mem:locationtests;DB_CLOSE_DELAY=-1", null))
                .table(table);
    }

    /** One pool per database for the whole test run, as an application has (each test uses its own table). */
    private static synchronized Database shared(String url, String user) {
        return POOLS.computeIfAbsent(url, u -> Database.builder().url(u).user(user).password("").poolSize(4).open());
    }
}
