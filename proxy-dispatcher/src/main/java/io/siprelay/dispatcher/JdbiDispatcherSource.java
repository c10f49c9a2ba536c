package io.siprelay.dispatcher;

import io.siprelay.db.Database;
import io.siprelay.db.Migration;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@code dispatcher} table with Kamailio's columns (id, setid, destination, flags, priority, attrs,
 * description), so an existing Kamailio database works as it is. {@link #migrate} creates the table when missing
 * (H2, MariaDB/MySQL, PostgreSQL), with its own Flyway history table {@code dispatcher_schema_history}. All SQL uses
 * bound parameters.
 */
public final class JdbiDispatcherSource implements DispatcherSource {

    private final Jdbi jdbi;

    /** Over a JDBI whose database already has the table (no migration). */
    public JdbiDispatcherSource(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** The {@code dispatcher} table in {@code database}, created first when it is missing. */
    public static JdbiDispatcherSource on(Database database) {
        migrate(database);
        return new JdbiDispatcherSource(database.jdbi());
    }

    /**
     * An embedded H2 file database {@code dispatcher} under {@code dataDir}. Its pool stays open for the life of the
     * process (a source has no close); an application that stops and starts uses {@link #on(Database)}.
     */
    public static JdbiDispatcherSource h2(Path dataDir) {
        return on(Database.h2(dataDir, "dispatcher"));
    }

    /** Creates or migrates the {@code dispatcher} table (the {@code kamdbctl create} step). */
    public static void migrate(Database database) {
        database.migrate(new Migration(JdbiDispatcherSource.class, "db/dispatcher/{dialect}",
                "dispatcher_schema_history", Map.of()));
    }

    @Override
    public List<DispatcherEntry> load() {
        return jdbi.withHandle(h -> h.createQuery("SELECT id, setid, destination, flags, priority, attrs, description"
                        + " FROM dispatcher ORDER BY id")
                .map((rs, ctx) -> new DispatcherEntry(rs.getLong("id"), rs.getInt("setid"), rs.getString("destination"),
                        rs.getInt("flags"), rs.getInt("priority"), parseAttrs(rs.getString("attrs"), rs.getLong("id")),
                        rs.getString("description")))
                .list());
    }

    private static Attrs parseAttrs(String attrs, long id) {
        try {
            return Attrs.parse(attrs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("dispatcher id " + id + ": " + e.getMessage(), e);
        }
    }

    @Override
    public DispatcherEntry insert(DispatcherEntry e) {
        long id = jdbi.withHandle(h -> h.createUpdate("INSERT INTO dispatcher (setid, destination, flags, priority,"
                        + " attrs, description) VALUES (:setid, :destination, :flags, :priority, :attrs, :description)")
                .bind("setid", e.setId()).bind("destination", e.destination()).bind("flags", e.flags())
                .bind("priority", e.priority()).bind("attrs", e.attrs().body()).bind("description", e.description())
                .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one());
        return new DispatcherEntry(id, e.setId(), e.destination(), e.flags(), e.priority(), e.attrs(), e.description());
    }

    @Override
    public int delete(int setId, String destination) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM dispatcher WHERE setid = :setid AND destination ="
                + " :destination").bind("setid", setId).bind("destination", destination).execute());
    }
}
