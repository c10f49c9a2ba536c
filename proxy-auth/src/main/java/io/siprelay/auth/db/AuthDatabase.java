package io.siprelay.auth.db;

import io.siprelay.db.Database;
import io.siprelay.db.Migration;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.jdbi.v3.core.Jdbi;

/**
 * Kamailio's {@code subscriber} and {@code address} tables in a {@link Database}, behind {@link JdbcSubscriberStore}
 * and {@link JdbcAddressStore}: created or migrated on the database's pool (Flyway; what {@code kamdbctl create}
 * did).
 *
 * <pre>{@code
 * AuthDatabase auth = AuthDatabase.on(db);                                  // tables subscriber and address
 * SubscriberStore subscribers = new JdbcSubscriberStore(auth);
 * Permissions perms = Permissions.load(new JdbcAddressStore(auth));
 * AuthDatabase alone = AuthDatabase.h2(Path.of("data"));                    // its own embedded H2 file
 * }</pre>
 *
 * <p>Existing Kamailio tables are kept as they are (the migration only creates missing tables). The migration
 * history lives in its own table ({@code siprelay_auth_schema_history}), so other modules' migrations in the same
 * database do not interfere.
 */
public final class AuthDatabase implements AutoCloseable {

    private final Database database;
    private final boolean ownsDatabase;
    private final String subscriberTable;
    private final String addressTable;

    private AuthDatabase(Builder b, Database database, boolean ownsDatabase) {
        this.database = database;
        this.ownsDatabase = ownsDatabase;
        this.subscriberTable = b.subscriberTable;
        this.addressTable = b.addressTable;
        database.migrate(new Migration(AuthDatabase.class, "db/siprelay-auth", b.historyTable,
                Map.of("subscriber_table", subscriberTable, "address_table", addressTable,
                        "id_column", database.dialect().autoIncrementPrimaryKey())));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code subscriber} and {@code address} tables in {@code database}, created when missing. */
    public static AuthDatabase on(Database database) {
        return builder().database(database).build();
    }

    /**
     * An embedded H2 database of its own, {@code siprelay-auth} under {@code dataDirectory}; {@link #close()}
     * closes it.
     */
    public static AuthDatabase h2(Path dataDirectory) {
        Database db = Database.h2(dataDirectory, "siprelay-auth");
        try {
            return new AuthDatabase(builder(), db, true);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    public Jdbi jdbi() {
        return database.jdbi();
    }

    /** The database the tables are in. */
    public Database database() {
        return database;
    }

    public String subscriberTable() {
        return subscriberTable;
    }

    public String addressTable() {
        return addressTable;
    }

    /** Closes the database only when {@link #h2(Path)} opened it; a shared one stays open. */
    @Override
    public void close() {
        if (ownsDatabase) {
            database.close();
        }
    }

    /** Which database and which table names. */
    public static final class Builder {
        private Database database;
        private String subscriberTable = "subscriber";
        private String addressTable = "address";
        private String historyTable = "siprelay_auth_schema_history";

        private Builder() {
        }

        /** The database to keep the tables in (shared with the other stores; not closed by this one). */
        public Builder database(Database database) {
            this.database = Objects.requireNonNull(database, "database");
            return this;
        }

        /** The subscriber table's name (Kamailio's default {@code subscriber}). */
        public Builder subscriberTable(String name) {
            this.subscriberTable = Migration.identifier(name);
            return this;
        }

        /** The address table's name (Kamailio's default {@code address}). */
        public Builder addressTable(String name) {
            this.addressTable = Migration.identifier(name);
            return this;
        }

        /** The Flyway history table's name; default {@code siprelay_auth_schema_history}. */
        public Builder historyTable(String name) {
            this.historyTable = Migration.identifier(name);
            return this;
        }

        /** Creates or migrates the tables and returns them. */
        public AuthDatabase build() {
            if (database == null) {
                throw new IllegalStateException("a database is required: database(Database.builder()...open())");
            }
            return new AuthDatabase(this, database, false);
        }
    }
}
