package io.siprelay.registrar.store;

import io.siprelay.db.Database;
import io.siprelay.db.Migration;
import io.siprelay.db.SqlDialect;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * Kamailio's {@code location} table in a {@link Database}: created (or left as it is when it already exists) by a
 * Flyway migration on the database's pool, so no {@code kamdbctl create} step is needed.
 *
 * <pre>{@code
 * LocationDatabase location = LocationDatabase.on(db);                            // table "location"
 * LocationDatabase other = LocationDatabase.builder().database(db).table("location_b").build();
 * LocationDatabase alone = LocationDatabase.h2(Path.of("/var/lib/siprelay"));     // its own embedded H2 file
 * }</pre>
 *
 * Times ({@code expires}, {@code last_modified}) are stored as UTC date-times, with whole seconds. The migration
 * history is in {@code <table>_schema_history}.
 */
public final class LocationDatabase implements AutoCloseable {

    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,47}");

    private final Database database;
    private final boolean ownsDatabase;
    private final String table;

    private LocationDatabase(Database database, boolean ownsDatabase, String table) {
        this.database = database;
        this.ownsDatabase = ownsDatabase;
        this.table = table;
        database.migrate(new Migration(LocationDatabase.class, "io/siprelay/registrar/db/{dialect}",
                table + "_schema_history", Map.of("table", table)));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code location} table in {@code database}, created when missing. */
    public static LocationDatabase on(Database database) {
        return builder().database(database).build();
    }

    /**
     * An embedded H2 database of its own in {@code dataDir} (file {@code location.mv.db}), table {@code location};
     * {@link #close()} closes it.
     */
    public static LocationDatabase h2(Path dataDir) {
        Database db = Database.h2(dataDir, "location");
        try {
            return new LocationDatabase(db, true, "location");
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    public Jdbi jdbi() {
        return database.jdbi();
    }

    public SqlDialect dialect() {
        return database.dialect();
    }

    /** The database the table is in. */
    public Database database() {
        return database;
    }

    /** The location table's name. */
    public String table() {
        return table;
    }

    /** Drops the table and its migration history (tests that clean up after themselves). */
    public void dropTable() {
        jdbi().useHandle(h -> {
            h.execute("DROP TABLE IF EXISTS " + table);
            h.execute("DROP TABLE IF EXISTS " + dialect().quote(table + "_schema_history"));
        });
    }

    /** Closes the database only when {@link #h2(Path)} opened it for this table; a shared one stays open. */
    @Override
    public void close() {
        if (ownsDatabase) {
            database.close();
        }
    }

    /** Settings of a {@link LocationDatabase}. */
    public static final class Builder {
        private Database database;
        private String table = "location";

        private Builder() {
        }

        /** The database to keep the table in (shared with the other stores; not closed by this one). */
        public Builder database(Database database) {
            this.database = Objects.requireNonNull(database, "database");
            return this;
        }

        /** The table name, {@code location} by default (Kamailio's {@code save("location")}). Letters, digits, _. */
        public Builder table(String table) {
            if (table == null || !TABLE_NAME.matcher(table).matches()) {
                throw new IllegalArgumentException("table name must match " + TABLE_NAME + ": " + table);
            }
            this.table = table;
            return this;
        }

        /** Creates or migrates the table and returns it. */
        public LocationDatabase build() {
            if (database == null) {
                throw new IllegalStateException("a database is required: database(Database.builder()...open())");
            }
            return new LocationDatabase(database, false, table);
        }
    }
}
