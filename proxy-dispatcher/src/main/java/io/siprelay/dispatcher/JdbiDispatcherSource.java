package io.siprelay.dispatcher;

import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@code dispatcher} table with Kamailio's columns (id, setid, destination, flags, priority, attrs,
 * description), so an existing Kamailio database works as it is. {@link #migrate} creates the table when missing
 * (H2, MariaDB/MySQL, PostgreSQL), with its own Flyway history table {@code dispatcher_schema_history}. All SQL uses
 * bound parameters.
 */
public final class JdbiDispatcherSource implements DispatcherSource {

    private final Jdbi jdbi;

    public JdbiDispatcherSource(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Over a data source (e.g. HikariCP), creating the table first when it is missing. */
    public static JdbiDispatcherSource create(DataSource dataSource) {
        migrate(dataSource);
        return new JdbiDispatcherSource(Jdbi.create(dataSource));
    }

    /** The embedded default: an H2 file database {@code dispatcher} under {@code dataDir}. */
    public static JdbiDispatcherSource h2(Path dataDir) {
        org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
        ds.setURL("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("dispatcher") + ";AUTO_SERVER=FALSE");
        return create(ds);
    }

    /** Creates or migrates the {@code dispatcher} table (the {@code kamdbctl create} step). */
    public static void migrate(DataSource dataSource) {
        String vendor;
        try (java.sql.Connection c = dataSource.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
            vendor = product.contains("postgres") ? "postgresql"
                    : product.contains("mariadb") || product.contains("mysql") ? "mysql" : "h2";
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot connect to the dispatcher database: " + e.getMessage(), e);
        }
        Flyway.configure(JdbiDispatcherSource.class.getClassLoader())
                .dataSource(dataSource)
                .table("dispatcher_schema_history")
                .locations("classpath:db/dispatcher/" + vendor)
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
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
