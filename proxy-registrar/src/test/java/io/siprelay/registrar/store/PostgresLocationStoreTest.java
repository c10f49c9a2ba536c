package io.siprelay.registrar.store;

import org.junit.jupiter.api.Tag;

/** The database-only store on the real PostgreSQL (127.0.0.1:5432, database test), in its own table. */
@Tag("database")
class PostgresLocationStoreTest extends LocationStoreContract {

    private LocationDatabase db;

    @Override
    protected LocationStore open() {
        db = Databases.postgres(Databases.uniqueTable()).build();
        return new JdbcLocationStore(db);
    }

    @Override
    protected void cleanUp() {
        db.dropTable();
    }
}
