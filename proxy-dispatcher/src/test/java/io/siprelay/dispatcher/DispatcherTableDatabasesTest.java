package io.siprelay.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.siprelay.db.Database;
import io.siprelay.core.clock.VirtualClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link JdbiDispatcherSource} against the real MariaDB and PostgreSQL of CI (database {@code test}); only with
 * {@code -Pdatabases}. The source always uses Kamailio's table name {@code dispatcher} (and the Flyway history table
 * {@code dispatcher_schema_history}), so each run gets its own database (MariaDB) or schema (PostgreSQL) named
 * {@code ds_<random>}, dropped afterwards: concurrent runs and an existing Kamailio table are never touched.
 */
@Tag("database")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DispatcherTableDatabasesTest {

    static InetAddress resolve(String host) throws UnknownHostException {
        return InetAddress.getByAddress(host, new byte[] {10, 0, 0, (byte) (host.length() % 250)});
    }

    /** The shared checks; subclasses say how to reach the server and how to make an isolated namespace. */
    abstract static class Contract {

        protected final String namespace = "ds_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
                .toLowerCase(Locale.ROOT);
        protected HikariDataSource dataSource;

        /** JDBC URL of the server's {@code test} database. */
        protected abstract String adminUrl();

        protected abstract String user();

        /** JDBC URL that makes {@link #namespace} the default for unqualified table names. */
        protected abstract String isolatedUrl();

        protected abstract String createNamespace();

        protected abstract String dropNamespace();

        @BeforeEach
        void createNamespaceAndPool() throws SQLException {
            try (Connection c = DriverManager.getConnection(adminUrl(), user(), "");
                 Statement s = c.createStatement()) {
                s.execute(createNamespace());
            }
            HikariConfig cfg = new HikariConfig();
            cfg.setJdbcUrl(isolatedUrl());
            cfg.setUsername(user());
            cfg.setPassword("");
            cfg.setMaximumPoolSize(3);
            cfg.setPoolName("dispatcher-" + namespace);
            dataSource = new HikariDataSource(cfg);
        }

        @AfterEach
        void dropNamespaceAndPool() throws SQLException {
            if (dataSource != null) {
                dataSource.close();
            }
            try (Connection c = DriverManager.getConnection(adminUrl(), user(), "");
                 Statement s = c.createStatement()) {
                s.execute(dropNamespace());
            }
        }

        private Dispatcher dispatcher(DispatcherSource src) {
            return Dispatcher.builder().source(src).clock(new VirtualClock())
                    .resolver(DispatcherTableDatabasesTest::resolve).build();
        }

        @Test
        void flywayCreatesKamailiosTableAndTheHistoryAndIsIdempotent() throws SQLException {
            JdbiDispatcherSource.on(Database.of(dataSource));
            JdbiDispatcherSource.migrate(Database.of(dataSource)); // a second start: nothing to do, no error
            try (Connection c = dataSource.getConnection()) {
                List<String> columns = Jdbi.create(dataSource).withHandle(h -> h.createQuery(
                                "SELECT column_name FROM information_schema.columns WHERE table_schema = :s"
                                        + " AND table_name = 'dispatcher' ORDER BY ordinal_position")
                        .bind("s", namespace).mapTo(String.class).list());
                assertThat(columns).map(s -> s.toLowerCase(Locale.ROOT))
                        .containsExactly("id", "setid", "destination", "flags", "priority", "attrs", "description");
                try (ResultSet rs = c.createStatement().executeQuery(
                        "SELECT version, success FROM dispatcher_schema_history ORDER BY installed_rank")) {
                    StringBuilder history = new StringBuilder();
                    while (rs.next()) {
                        history.append(rs.getString(1)).append(':').append(rs.getBoolean(2)).append(' ');
                    }
                    assertThat(history.toString().trim()).isEqualTo("1:true");
                }
            }
        }

        @Test
        void insertLoadDeleteRoundTripWithGeneratedIdsAndKamailioDefaults() {
            JdbiDispatcherSource src = JdbiDispatcherSource.on(Database.of(dataSource));
            assertThat(src.load()).isEmpty();
            DispatcherEntry a = src.insert(DispatcherEntry.of(1, "sip:mg1.test:5060", 0, 10,
                    "duid=mg1;weight=75;maxload=20;carrier=acme"));
            DispatcherEntry b = src.insert(new DispatcherEntry(0, 1, "sip:mg2.test:5060;transport=tcp", 8, 5,
                    Attrs.parse("weight=25"), "backup gateway ü"));
            DispatcherEntry c = src.insert(DispatcherEntry.of(2, "sip:pbx.test"));
            assertThat(a.id()).isPositive();
            assertThat(b.id()).isGreaterThan(a.id());
            assertThat(c.id()).isGreaterThan(b.id());

            List<DispatcherEntry> loaded = src.load();
            assertThat(loaded).extracting(DispatcherEntry::id).containsExactly(a.id(), b.id(), c.id());
            DispatcherEntry la = loaded.get(0);
            assertThat(la.setId()).isEqualTo(1);
            assertThat(la.destination()).isEqualTo("sip:mg1.test:5060");
            assertThat(la.priority()).isEqualTo(10);
            assertThat(la.attrs().body()).isEqualTo("duid=mg1;weight=75;maxload=20;carrier=acme");
            assertThat(la.attrs().weight()).isEqualTo(75);
            assertThat(la.attrs().get("carrier")).isEqualTo("acme");
            DispatcherEntry lb = loaded.get(1);
            assertThat(lb.flags()).isEqualTo(8);
            assertThat(lb.destination()).isEqualTo("sip:mg2.test:5060;transport=tcp");
            assertThat(lb.description()).isEqualTo("backup gateway ü");
            assertThat(loaded.get(2).attrs().body()).isEmpty();

            // a row written by Kamailio's tools (kamctl dispatcher add): the column defaults fill the rest
            Jdbi.create(dataSource).useHandle(h -> h.execute(
                    "INSERT INTO dispatcher (setid, destination) VALUES (3, 'sip:kam.test')"));
            DispatcherEntry kam = src.load().get(3);
            assertThat(kam.setId()).isEqualTo(3);
            assertThat(kam.flags()).isZero();
            assertThat(kam.priority()).isZero();
            assertThat(kam.attrs().body()).isEmpty();
            assertThat(kam.description()).isEmpty();

            assertThat(src.delete(1, "sip:mg1.test:5060")).isEqualTo(1);
            assertThat(src.delete(1, "sip:mg1.test:5060")).isZero();
            assertThat(src.delete(2, "sip:mg2.test:5060;transport=tcp")).as("other set").isZero();
            assertThat(src.load()).extracting(DispatcherEntry::destination)
                    .containsExactly("sip:mg2.test:5060;transport=tcp", "sip:pbx.test", "sip:kam.test");
        }

        @Test
        void dispatcherAddRemoveAndReloadPickUpChangesMadeElsewhere() {
            JdbiDispatcherSource src = JdbiDispatcherSource.on(Database.of(dataSource));
            Dispatcher ds = dispatcher(src);
            Dispatcher other = dispatcher(JdbiDispatcherSource.on(Database.of(dataSource))); // a second proxy, same table
            assertThat(ds.setIds()).isEmpty();

            DispatcherEntry added = ds.add(DispatcherEntry.of(1, "sip:mg1.test", 0, 10, "weight=75"));
            assertThat(added.id()).isPositive();
            ds.add(DispatcherEntry.of(1, "sip:mg2.test", 0, 5, "weight=25"));
            assertThat(ds.destinations(1)).extracting(Destination::uri).containsExactly("sip:mg1.test", "sip:mg2.test");
            assertThat(other.destinations(1)).as("not reloaded yet").isEmpty();
            assertThat(other.reload()).isEqualTo(2);
            assertThat(other.destinations(1)).extracting(Destination::uri)
                    .containsExactly("sip:mg1.test", "sip:mg2.test");

            // state kept across a reload that changes the table underneath
            ds.setState("ip", 1, "sip:mg2.test");
            Jdbi.create(dataSource).useHandle(h -> {
                h.execute("INSERT INTO dispatcher (setid, destination, flags, priority, attrs, description)"
                        + " VALUES (2, 'sip:pbx.test', 0, 0, 'duid=pbx', 'by SQL')");
                h.execute("UPDATE dispatcher SET attrs = 'weight=60;x=y' WHERE destination = 'sip:mg1.test'");
            });
            assertThat(ds.reload()).isEqualTo(3);
            assertThat(ds.setIds()).containsExactlyInAnyOrder(1, 2);
            assertThat(ds.destination(1, "sip:mg1.test").attrs().weight()).isEqualTo(60);
            assertThat(ds.destination(1, "sip:mg1.test").attrs().get("x")).isEqualTo("y");
            assertThat(ds.destination(1, "sip:mg2.test").state()).isEqualTo("IP");
            assertThat(ds.destination(2, "sip:pbx.test").attrs().duid()).isEqualTo("pbx");

            assertThat(ds.remove(1, "sip:mg1.test")).isEqualTo(1);
            assertThat(other.reload()).isEqualTo(2);
            assertThat(other.destinations(1)).extracting(Destination::uri).containsExactly("sip:mg2.test");

            // a bad row refuses the reload and keeps the previous sets
            Jdbi.create(dataSource).useHandle(h -> h.execute(
                    "INSERT INTO dispatcher (setid, destination) VALUES (1, 'not a sip uri')"));
            assertThatThrownBy(other::reload).isInstanceOf(DispatcherReloadException.class);
            assertThat(other.destinations(1)).extracting(Destination::uri).containsExactly("sip:mg2.test");
            assertThat(other.setIds()).containsExactlyInAnyOrder(1, 2);
        }
    }

    @Nested
    class MariaDb extends Contract {
        @Override
        protected String adminUrl() {
            return "jdbc:mariadb://127.0.0.1:3306/test";
        }

        @Override
        protected String user() {
            return "root";
        }

        @Override
        protected String isolatedUrl() {
            return "jdbc:mariadb://127.0.0.1:3306/" + namespace;
        }

        @Override
        protected String createNamespace() {
            return "CREATE DATABASE " + namespace + " CHARACTER SET utf8mb4";
        }

        @Override
        protected String dropNamespace() {
            return "DROP DATABASE IF EXISTS " + namespace;
        }
    }

    @Nested
    class PostgreSql extends Contract {
        @Override
        protected String adminUrl() {
            return "jdbc:postgresql://127.0.0.1:5432/test";
        }

        @Override
        protected String user() {
            return System.getProperty("siprelay.postgres.user", "postgres");
        }

        @Override
        protected String isolatedUrl() {
            return adminUrl() + "?currentSchema=" + namespace;
        }

        @Override
        protected String createNamespace() {
            return "CREATE SCHEMA " + namespace;
        }

        @Override
        protected String dropNamespace() {
            return "DROP SCHEMA IF EXISTS " + namespace + " CASCADE";
        }
    }
}
