package io.siprelay.registrar.store;

/** The database-only store on an in-memory H2 database (always runs). */
class H2LocationStoreTest extends LocationStoreContract {

    private LocationDatabase db;

    @Override
    protected LocationStore open() {
        db = Databases.h2Memory(Databases.uniqueTable()).build();
        return new JdbcLocationStore(db);
    }

    @Override
    protected void cleanUp() {
        db.dropTable();
    }
}
