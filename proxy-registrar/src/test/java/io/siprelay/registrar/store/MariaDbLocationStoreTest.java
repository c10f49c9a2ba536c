package io.siprelay.registrar.store;

import org.junit.jupiter.api.Tag;

/** The database-only store on the real MariaDB (127.0.0.1:3306, database test), in its own table. */
@Tag("database")
class MariaDbLocationStoreTest extends LocationStoreContract {

    private LocationDatabase db;

    @Override
    protected LocationStore open() {
        db = Databases.mariadb(Databases.uniqueTable()).build();
        return new JdbcLocationStore(db);
    }

    @Override
    protected void cleanUp() {
        db.dropTable();
    }
}
