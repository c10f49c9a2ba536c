/**
 * Kamailio's registrar and usrloc for SipRelay routes.
 *
 * <ul>
 *   <li>{@link io.siprelay.registrar.Registrar}: {@code save()} (a route that answers REGISTER),
 *       {@code lookup(ctx)} (sets the target set, returns a {@link io.siprelay.registrar.LookupResult}),
 *       {@code registered}, {@code unregister};</li>
 *   <li>{@link io.siprelay.registrar.store.LocationStore}: where bindings live, in memory
 *       ({@link io.siprelay.registrar.store.MemoryLocationStore}), write-through to SQL
 *       ({@link io.siprelay.registrar.store.WriteThroughLocationStore}) or in SQL only
 *       ({@link io.siprelay.registrar.store.JdbcLocationStore}), over a
 *       {@link io.siprelay.registrar.store.LocationDatabase} (H2, MySQL/MariaDB, PostgreSQL; Kamailio's
 *       {@code location} table);</li>
 *   <li>{@link io.siprelay.registrar.LocationService}: {@code ul.dump}, {@code ul.lookup}, {@code ul.rm} as records
 *       that serialise to Kamailio's JSON ({@link io.siprelay.registrar.ul}).</li>
 * </ul>
 *
 * <p>Persistent set-up (usrloc {@code db_mode=1}):
 * <pre>{@code
 * LocationDatabase db = LocationDatabase.h2(Path.of("/var/lib/siprelay"));
 * LocationStore store = new WriteThroughLocationStore(proxyClock, db);
 * Registrar registrar = Registrar.builder().clock(proxyClock).store(store).build();
 * }</pre>
 * Several proxies sharing one database ({@code db_mode=3}) each use
 * {@code new JdbcLocationStore(LocationDatabase.on(db))} on their {@link io.siprelay.db.Database}
 * ({@code Database.builder().url(url).user(u).password(p).open()}).
 */
package io.siprelay.registrar;
