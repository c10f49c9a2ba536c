package io.siprelay.auth.db;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.siprelay.auth.Subscriber;
import io.siprelay.auth.SubscriberStore;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Kamailio's {@code subscriber} table as a {@link SubscriberStore}, with a Caffeine cache in front (hits and misses
 * are cached; entries expire after {@code cacheTtl}, default 60 s, and are invalidated at once when this instance
 * changes them). Another instance's change is seen after at most {@code cacheTtl}.
 *
 * <p>Empty strings in {@code password}, {@code ha1}, {@code ha1b}, {@code ha1_sha256} mean "not set" (Kamailio's
 * columns are NOT NULL DEFAULT ''). A Kamailio table without the {@code ha1_sha256} column works; SHA-256 then needs
 * the plaintext password. All SQL uses bound parameters.
 */
public final class JdbcSubscriberStore implements SubscriberStore {

    private record Key(String username, String domain) {
    }

    private final AuthDatabase db;
    private final String table;
    private final boolean hasSha256Column;
    private final Cache<Key, Optional<Subscriber>> cache;

    public JdbcSubscriberStore(AuthDatabase db) {
        this(db, Duration.ofSeconds(60), 100_000);
    }

    public JdbcSubscriberStore(AuthDatabase db, Duration cacheTtl, long cacheSize) {
        this.db = db;
        this.table = db.subscriberTable();
        this.cache = Caffeine.newBuilder().expireAfterWrite(cacheTtl).maximumSize(cacheSize).build();
        this.hasSha256Column = db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM " + table + " WHERE 1 = 0")
                .scanResultSet((rs, ctx) -> {
                    ResultSetMetaData md = rs.get().getMetaData();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        if (md.getColumnName(i).equalsIgnoreCase("ha1_sha256")) {
                            return true;
                        }
                    }
                    return false;
                }));
    }

    @Override
    public Optional<Subscriber> find(String username, String domain) {
        if (username == null || domain == null) {
            return Optional.empty();
        }
        return cache.get(new Key(username, domain), k -> load(k.username(), k.domain()));
    }

    private Optional<Subscriber> load(String username, String domain) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT * FROM " + table
                        + " WHERE username = :u AND domain = :d")
                .bind("u", username).bind("d", domain)
                .map((rs, ctx) -> row(rs))
                .findFirst());
    }

    private Subscriber row(ResultSet rs) throws SQLException {
        return new Subscriber(rs.getString("username"), rs.getString("domain"), blankToNull(rs.getString("password")),
                blankToNull(rs.getString("ha1")), blankToNull(rs.getString("ha1b")),
                hasSha256Column ? blankToNull(rs.getString("ha1_sha256")) : null);
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @Override
    public void put(Subscriber s) {
        String sha = hasSha256Column ? ", ha1_sha256 = :sha" : "";
        db.jdbi().useTransaction(h -> {
            int n = h.createUpdate("UPDATE " + table + " SET password = :pw, ha1 = :ha1, ha1b = :ha1b" + sha
                            + " WHERE username = :u AND domain = :d")
                    .bind("pw", nz(s.password())).bind("ha1", nz(s.ha1())).bind("ha1b", nz(s.ha1b()))
                    .bind("sha", nz(s.ha1Sha256())).bind("u", s.username()).bind("d", s.domain())
                    .execute();
            if (n == 0) {
                h.createUpdate("INSERT INTO " + table + " (username, domain, password, ha1, ha1b"
                                + (hasSha256Column ? ", ha1_sha256" : "") + ") VALUES (:u, :d, :pw, :ha1, :ha1b"
                                + (hasSha256Column ? ", :sha" : "") + ")")
                        .bind("pw", nz(s.password())).bind("ha1", nz(s.ha1())).bind("ha1b", nz(s.ha1b()))
                        .bind("sha", nz(s.ha1Sha256())).bind("u", s.username()).bind("d", s.domain())
                        .execute();
            }
        });
        cache.invalidate(new Key(s.username(), s.domain()));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    @Override
    public boolean remove(String username, String domain) {
        int n = db.jdbi().withHandle(h -> h.createUpdate("DELETE FROM " + table
                        + " WHERE username = :u AND domain = :d")
                .bind("u", username).bind("d", domain).execute());
        cache.invalidate(new Key(username, domain));
        return n > 0;
    }

    /** Number of rows (for management output). */
    public long count() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Long.class).one());
    }

    /** Drops every cached entry, e.g. after the table was edited behind the proxy's back. */
    public void invalidateAll() {
        cache.invalidateAll();
    }

    @Override
    public String toString() {
        return "JdbcSubscriberStore[" + table.toLowerCase(Locale.ROOT) + "]";
    }
}
