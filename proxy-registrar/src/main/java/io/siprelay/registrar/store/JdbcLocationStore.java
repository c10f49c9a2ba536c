package io.siprelay.registrar.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.Update;

/**
 * Bindings in the SQL {@code location} table only ({@code db_mode=3}): every read and write goes to the database, so
 * several proxies sharing the database see the same registrations. A change of one AoR runs in one transaction that
 * first locks the AoR's rows ({@code SELECT ... FOR UPDATE}). All values are bound parameters.
 *
 * <p>The AoR maps to Kamailio's columns: {@code user@domain} is {@code username}+{@code domain}; an AoR without
 * {@code @} (single-domain mode) has a NULL {@code domain}.
 */
public final class JdbcLocationStore implements LocationStore {

    private static final String COLUMNS = "ruid, username, domain, contact, received, path, expires, q, callid, cseq,"
            + " last_modified, flags, cflags, user_agent, socket, methods, instance, reg_id";

    private final LocationDatabase db;
    private final String table;

    public JdbcLocationStore(LocationDatabase db) {
        this.db = Objects.requireNonNull(db, "db");
        this.table = db.table();
    }

    @Override
    public List<Binding> get(String aor, long now) {
        return db.jdbi().withHandle(h -> select(h, aor, false).stream().filter(b -> !b.isExpired(now)).toList());
    }

    @Override
    public List<Binding> update(String aor, long now, UnaryOperator<List<Binding>> change) {
        return db.jdbi().inTransaction(h -> {
            List<Binding> rows = select(h, aor, true);
            List<Binding> current = MemoryLocationStore.live(rows, now);
            List<Binding> next = change.apply(current);
            if (next == current && current.size() == rows.size()) {
                return current;
            }
            write(h, rows, next);
            return List.copyOf(next);
        });
    }

    /** Writes the difference between what the table held for one AoR ({@code before}) and {@code after}. */
    static void write(Handle h, String table, List<Binding> before, List<Binding> after) {
        Map<String, Binding> old = new HashMap<>();
        for (Binding b : before) {
            old.put(b.ruid(), b);
        }
        for (Binding b : after) {
            Binding was = old.remove(b.ruid());
            if (was == null) {
                bindAll(h.createUpdate("INSERT INTO " + table + " (" + COLUMNS + ") VALUES (:ruid, :username, :domain,"
                        + " :contact, :received, :path, :expires, :q, :callid, :cseq, :last_modified, :flags, :cflags,"
                        + " :user_agent, :socket, :methods, :instance, :reg_id)"), b).execute();
            } else if (!was.equals(b)) {
                bindAll(h.createUpdate("UPDATE " + table + " SET username = :username, domain = :domain,"
                        + " contact = :contact, received = :received, path = :path, expires = :expires, q = :q,"
                        + " callid = :callid, cseq = :cseq, last_modified = :last_modified, flags = :flags,"
                        + " cflags = :cflags, user_agent = :user_agent, socket = :socket, methods = :methods,"
                        + " instance = :instance, reg_id = :reg_id WHERE ruid = :ruid"), b).execute();
            }
        }
        for (String ruid : old.keySet()) {
            h.createUpdate("DELETE FROM " + table + " WHERE ruid = :ruid").bind("ruid", ruid).execute();
        }
    }

    private void write(Handle h, List<Binding> before, List<Binding> after) {
        write(h, table, before, after);
    }

    /** Inserts or replaces the rows of one AoR in one transaction (the write-through store's write). */
    void replace(String aor, List<Binding> before, List<Binding> after) {
        db.jdbi().useTransaction(h -> write(h, before, after));
    }

    @Override
    public int remove(String aor, long now) {
        return db.jdbi().inTransaction(h -> {
            int live = (int) select(h, aor, true).stream().filter(b -> !b.isExpired(now)).count();
            Update d = h.createUpdate("DELETE FROM " + table + " WHERE username = :username AND "
                    + domainClause(aor));
            bindAor(d, aor);
            d.execute();
            return live;
        });
    }

    @Override
    public Map<String, List<Binding>> snapshot(long now) {
        TreeMap<String, List<Binding>> out = new TreeMap<>();
        db.jdbi().useHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE expires > :now")
                .bind("now", toDb(now))
                .map((rs, ctx) -> read(rs))
                .forEach(b -> out.computeIfAbsent(b.aor(), k -> new ArrayList<>()).add(b)));
        out.replaceAll((k, v) -> List.copyOf(v));
        return out;
    }

    @Override
    public void purgeExpired(long now) {
        db.jdbi().useHandle(h -> h.createUpdate("DELETE FROM " + table + " WHERE expires <= :now")
                .bind("now", toDb(now)).execute());
    }

    @Override
    public String table() {
        return table;
    }

    /** Closes the database (pool) this store was given. */
    @Override
    public void close() {
        db.close();
    }

    public LocationDatabase database() {
        return db;
    }

    private List<Binding> select(Handle h, String aor, boolean forUpdate) {
        Query q = h.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE username = :username AND "
                + domainClause(aor) + (forUpdate ? " FOR UPDATE" : ""));
        bindAor(q, aor);
        return q.map((rs, ctx) -> read(rs)).list();
    }

    private static String domainClause(String aor) {
        return aor.lastIndexOf('@') < 0 ? "domain IS NULL" : "domain = :domain";
    }

    private static void bindAor(org.jdbi.v3.core.statement.SqlStatement<?> st, String aor) {
        int at = aor.lastIndexOf('@');
        st.bind("username", at < 0 ? aor : aor.substring(0, at));
        if (at >= 0) {
            st.bind("domain", aor.substring(at + 1));
        }
    }

    private static Update bindAll(Update u, Binding b) {
        int at = b.aor().lastIndexOf('@');
        return u.bind("ruid", b.ruid())
                .bind("username", at < 0 ? b.aor() : b.aor().substring(0, at))
                .bind("domain", at < 0 ? null : b.aor().substring(at + 1))
                .bind("contact", b.contact())
                .bind("received", b.received())
                .bind("path", b.path())
                .bind("expires", toDb(b.expiresAt()))
                .bind("q", b.q())
                .bind("callid", b.callId())
                .bind("cseq", (int) Math.min(Integer.MAX_VALUE, b.cseq()))
                .bind("last_modified", toDb(b.lastModified()))
                .bind("flags", b.flags())
                .bind("cflags", b.cflags())
                .bind("user_agent", b.userAgent())
                .bind("socket", b.socket())
                .bind("methods", b.methods())
                .bind("instance", b.instance())
                .bind("reg_id", b.regId());
    }

    static Binding read(ResultSet rs) throws SQLException {
        String user = rs.getString("username");
        String domain = rs.getString("domain");
        String aor = domain == null || domain.isEmpty() ? user : user + "@" + domain;
        int methods = rs.getInt("methods");
        Integer m = rs.wasNull() ? null : methods;
        return new Binding(rs.getString("ruid"), aor, rs.getString("contact"), rs.getString("received"),
                rs.getString("path"), fromDb(rs.getObject("expires", LocalDateTime.class)), rs.getFloat("q"),
                rs.getString("callid"), rs.getLong("cseq"), fromDb(rs.getObject("last_modified", LocalDateTime.class)),
                rs.getInt("flags"), rs.getInt("cflags"), rs.getString("user_agent"), rs.getString("socket"), m,
                rs.getString("instance"), rs.getInt("reg_id"));
    }

    static LocalDateTime toDb(long millis) {
        return LocalDateTime.ofEpochSecond(Math.floorDiv(millis, 1000), 0, ZoneOffset.UTC);
    }

    static long fromDb(LocalDateTime t) {
        return t == null ? 0 : t.toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    /** Every unexpired binding, by AoR (the write-through store's start-up load). */
    Map<String, List<Binding>> loadAll(long now) {
        return snapshot(now);
    }
}
