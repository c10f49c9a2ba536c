package io.siprelay.registrar.store;

/** The write-through store on an in-memory H2 database (always runs). */
class H2WriteThroughStoreTest extends LocationStoreContract {

    private LocationDatabase db;

    @Override
    protected LocationStore open() {
        db = Databases.h2Memory(Databases.uniqueTable()).build();
        return new WriteThroughLocationStore(clock, db);
    }

    @Override
    protected void cleanUp() {
        db.dropTable();
    }
}
