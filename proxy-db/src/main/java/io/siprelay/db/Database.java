package io.siprelay.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The one SQL set-up of an application: a connection pool (HikariCP), JDBI over it, the dialect, and each
 * component's schema migrations run on it. Open one and hand it to every store:
 *
 * <pre>{@code
 * try (Database db = Database.builder().url("jdbc:mariadb://127.0.0.1:3306/kamailio").user("kamailio")
 *         .password(secret).open()) {                      // or Database.h2(Path.of("data"), "siprelay")
 *     LocationDatabase location = LocationDatabase.on(db);  // each runs its own migrations on the pool
 *     AuthDatabase auth = AuthDatabase.on(db);
 *     JdbiDispatcherSource dispatcher = JdbiDispatcherSource.on(db);
 * }
 * }</pre>
 *
 * <p>H2 (embedded), MySQL/MariaDB and PostgreSQL are supported. The stores built on a database do not close it:
 * whoever opened it closes it, after them.
 */
public final class Database implements AutoCloseable {

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final Jdbi jdbi;
    private final SqlDialect dialect;
    private final String displayUrl;
    private final Set<String> migrated = new HashSet<>();

    private Database(DataSource dataSource, HikariDataSource ownedPool, SqlDialect dialect, String displayUrl) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.dialect = dialect;
        this.displayUrl = displayUrl;
        this.jdbi = Jdbi.create(dataSource);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** An embedded H2 file database {@code <dataDirectory>/<name>.mv.db}. */
    public static Database h2(Path dataDirectory, String name) {
        return builder().url("jdbc:h2:file:" + dataDirectory.toAbsolutePath().normalize().resolve(name)).open();
    }

    /**
     * A data source the application pools itself (closing this database leaves it open). The dialect is read from
     * the driver's metadata.
     */
    public static Database of(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        String product;
        String url;
        try (Connection c = dataSource.getConnection()) {
            product = c.getMetaData().getDatabaseProductName();
            url = c.getMetaData().getURL();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to the database: " + e.getMessage(), e);
        }
        return new Database(dataSource, null, SqlDialect.fromProductName(product), displayUrl(url));
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public SqlDialect dialect() {
        return dialect;
    }

    /** The JDBC URL without query parameters or passwords, for logs and errors. */
    public String displayUrl() {
        return displayUrl;
    }

    /**
     * Creates or migrates a component's tables (the {@code kamdbctl create} step). A database that already holds
     * other tables gets the component's added (baseline 0); scripts use {@code IF NOT EXISTS}, so existing Kamailio
     * tables are kept as they are. Running the same migration again is a no-op.
     */
    public synchronized void migrate(Migration migration) {
        String key = migration.historyTable() + "@" + migration.locationFor(dialect);
        if (migrated.contains(key)) {
            return;
        }
        Flyway.configure(migration.owner().getClassLoader())
                .dataSource(dataSource)
                .locations("classpath:" + migration.locationFor(dialect))
                .table(migration.historyTable())
                .placeholders(migration.placeholders())
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
        migrated.add(key);
    }

    /** Closes the pool this database opened (a data source passed to {@link #of} stays open). */
    @Override
    public void close() {
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    @Override
    public String toString() {
        return "Database[" + dialect + " " + displayUrl + "]";
    }

    /**
     * A JDBC URL as logs and errors may show it: without the query part ({@code ?user=..&password=..}) and with an
     * H2-style {@code PASSWORD=} setting masked.
     */
    public static String displayUrl(String url) {
        if (url == null) {
            return "?";
        }
        String u = url.replaceAll("(?i)(password=)[^;&]*", "$1***");
        int q = u.indexOf('?');
        return q < 0 ? u : u.substring(0, q);
    }

    /** Connection and pool settings. */
    public static final class Builder {
        private String url;
        private String user;
        private String password;
        private int poolSize = 8;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private String poolName = "siprelay-db";

        private Builder() {
        }

        /** {@code jdbc:h2:...}, {@code jdbc:mariadb:...}, {@code jdbc:mysql:...} or {@code jdbc:postgresql:...}. */
        public Builder url(String jdbcUrl) {
            this.url = Objects.requireNonNull(jdbcUrl, "url").trim();
            return this;
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /**
         * Connections in the pool; default 8. A store that reads the database in a route (db-only location, an
         * uncached subscriber lookup) holds one for the length of a query, so size it with the worker lanes.
         */
        public Builder poolSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("pool size must be >= 1, got " + n);
            }
            this.poolSize = n;
            return this;
        }

        /** How long opening waits for the first connection and a query waits for a free one; default 10 s. */
        public Builder connectTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("connect timeout must be positive, got " + timeout);
            }
            this.connectTimeout = timeout;
            return this;
        }

        /** The pool's name in logs and JMX; default {@code siprelay-db}. */
        public Builder poolName(String name) {
            this.poolName = Objects.requireNonNull(name, "poolName");
            return this;
        }

        /** Connects (failing at once with the driver's reason when the database cannot be reached). */
        public Database open() {
            if (url == null || url.isEmpty()) {
                throw new IllegalStateException("a JDBC URL is required: url(\"jdbc:...\")");
            }
            SqlDialect dialect = SqlDialect.fromUrl(url);
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(url);
            hc.setUsername(user);
            hc.setPassword(password);
            hc.setMaximumPoolSize(poolSize);
            hc.setPoolName(poolName);
            hc.setInitializationFailTimeout(connectTimeout.toMillis());
            hc.setConnectionTimeout(Math.max(250, connectTimeout.toMillis()));
            HikariDataSource pool = new HikariDataSource(hc);
            return new Database(pool, pool, dialect, displayUrl(url));
        }
    }
}
