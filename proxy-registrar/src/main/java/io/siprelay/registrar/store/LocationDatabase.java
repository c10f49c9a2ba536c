package io.siprelay.registrar.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The SQL database behind a persistent location store: a connection pool, JDBI, and Kamailio's {@code location}
 * table, created (or left as it is when it already exists) by a Flyway migration at start-up, so no
 * {@code kamdbctl create} step is needed.
 *
 * <pre>{@code
 * LocationDatabase db = LocationDatabase.h2(Path.of("/var/lib/siprelay"));              // embedded default
 * LocationDatabase db = LocationDatabase.builder()
 *         .jdbcUrl("jdbc:mariadb://127.0.0.1:3306/kamailio").user("kamailio").password("secret")
 *         .build();                                                                  // MySQL/MariaDB or PostgreSQL
 * }</pre>
 *
 * Times ({@code expires}, {@code last_modified}) are stored as UTC date-times, with whole seconds.
 */
public final class LocationDatabase implements AutoCloseable {

    /** SQL flavours with their own migration scripts. */
    public enum Dialect {
        H2, MYSQL, POSTGRESQL;

        static Dialect fromUrl(String url) {
            if (url.startsWith("jdbc:h2:")) {
                return H2;
            }
            if (url.startsWith("jdbc:mysql:") || url.startsWith("jdbc:mariadb:")) {
                return MYSQL;
            }
            if (url.startsWith("jdbc:postgresql:")) {
                return POSTGRESQL;
            }
            throw new IllegalArgumentException("unsupported JDBC URL (H2, MySQL/MariaDB or PostgreSQL): " + url);
        }
    }

    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,47}");

    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final Dialect dialect;
    private final String table;

    private LocationDatabase(Builder b) {
        this.dialect = Dialect.fromUrl(b.jdbcUrl);
        this.table = b.table;
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(b.jdbcUrl);
        config.setUsername(b.user);
        config.setPassword(b.password);
        config.setMaximumPoolSize(b.maxPoolSize);
        config.setPoolName("siprelay-location-" + b.table);
        config.setInitializationFailTimeout(b.connectTimeoutMillis);
        config.setConnectionTimeout(b.connectTimeoutMillis);
        this.dataSource = new HikariDataSource(config);
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations("classpath:io/siprelay/registrar/db/" + dialect.name().toLowerCase(java.util.Locale.ROOT))
                    .table(table + "_schema_history")
                    .placeholders(Map.of("table", table))
                    // a database that already holds other tables (subscriber, a Kamailio schema) gets ours added
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        this.jdbi = Jdbi.create(dataSource);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** An embedded H2 database in {@code dataDir} (file {@code location.mv.db}), table {@code location}. */
    public static LocationDatabase h2(Path dataDir) {
        return builder().h2File(dataDir).build();
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** The location table's name. */
    public String table() {
        return table;
    }

    /** Drops the table and its migration history (tests that clean up after themselves). */
    public void dropTable() {
        jdbi.useHandle(h -> {
            h.execute("DROP TABLE IF EXISTS " + table);
            h.execute("DROP TABLE IF EXISTS " + quoteHistory());
        });
    }

    private String quoteHistory() {
        String t = table + "_schema_history";
        return switch (dialect) {
            case MYSQL -> "`" + t + "`";
            default -> "\"" + t + "\"";
        };
    }

    @Override
    public void close() {
        dataSource.close();
    }

    /** Settings of a {@link LocationDatabase}. */
    public static final class Builder {
        private String jdbcUrl;
        private String user;
        private String password;
        private String table = "location";
        private int maxPoolSize = 8;
        private long connectTimeoutMillis = 10_000;

        private Builder() {
        }

        /** {@code jdbc:h2:file:...}, {@code jdbc:mariadb://...}, {@code jdbc:mysql://...} or {@code jdbc:postgresql://...}. */
        public Builder jdbcUrl(String url) {
            this.jdbcUrl = Objects.requireNonNull(url, "url");
            return this;
        }

        /** An H2 file database in {@code dataDir}. */
        public Builder h2File(Path dataDir) {
            return jdbcUrl("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("location"));
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** The table name, {@code location} by default (Kamailio's {@code save("location")}). Letters, digits, _. */
        public Builder table(String table) {
            if (!TABLE_NAME.matcher(table).matches()) {
                throw new IllegalArgumentException("table name must match " + TABLE_NAME + ": " + table);
            }
            this.table = table;
            return this;
        }

        /** Connections in the pool (routes block on them in db-only mode: size with the worker pool). */
        public Builder maxPoolSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("pool size must be >= 1");
            }
            this.maxPoolSize = n;
            return this;
        }

        public Builder connectTimeoutMillis(long millis) {
            this.connectTimeoutMillis = millis;
            return this;
        }

        /** Connects, creates or migrates the table, and returns the database. */
        public LocationDatabase build() {
            if (jdbcUrl == null) {
                throw new IllegalStateException("a JDBC URL is required: jdbcUrl(...) or h2File(dir)");
            }
            return new LocationDatabase(this);
        }
    }
}
