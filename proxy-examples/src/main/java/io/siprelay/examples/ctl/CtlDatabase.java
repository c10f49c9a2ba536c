package io.siprelay.examples.ctl;

import io.siprelay.auth.db.AuthDatabase;
import io.siprelay.db.Database;
import io.siprelay.dispatcher.JdbiDispatcherSource;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where the provisioning commands find the tables. The default is the PBX's embedded database: one H2 file
 * {@code <data dir>/siprelay.mv.db} opened with {@code AUTO_SERVER=TRUE}, so the CLI can use it while the PBX runs;
 * {@code --db-url} points at MariaDB/MySQL or PostgreSQL instead. Each component creates its tables when they are
 * missing (Flyway), so adding the first user to a fresh directory works.
 */
final class CtlDatabase {

    private final Path dataDir;
    private final String url;
    private final String user;
    private final String password;

    CtlDatabase(Path dataDir, String url, String user, String password) {
        this.dataDir = dataDir == null ? Path.of("data") : dataDir;
        this.url = url == null || url.isBlank() ? null : url.trim();
        this.user = user;
        this.password = password;
    }

    /** The shared convention with the PBX: {@code jdbc:h2:file:<absolute data dir>/siprelay;AUTO_SERVER=TRUE}. */
    static String h2Url(Path dataDir) {
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("siprelay") + ";AUTO_SERVER=TRUE";
    }

    String url() {
        return url != null ? url : h2Url(dataDir);
    }

    /** The URL as errors show it (no query parameters, which may carry a password). */
    String displayUrl() {
        return Database.displayUrl(url());
    }

    /**
     * For read-only commands: refuses to create an empty embedded database in a mistyped directory.
     */
    void requireExisting() {
        if (url == null) {
            Path file = dataDir.toAbsolutePath().normalize().resolve("siprelay.mv.db");
            if (!Files.exists(file)) {
                throw new CtlException(SiprelayCtl.EXIT_DATABASE, "no database at " + file
                        + " (give --data-dir DIR of the PBX, or --db-url)");
            }
        }
    }

    /** The subscriber and address tables; close the returned handle to release the connection pool. */
    Opened<AuthDatabase> auth() {
        return open(AuthDatabase::on);
    }

    /** The dispatcher table; close the returned handle to release the connection pool. */
    Opened<JdbiDispatcherSource> dispatcher() {
        return open(JdbiDispatcherSource::on);
    }

    private <T> Opened<T> open(Function<Database, T> tables) {
        Database db = connect();
        try {
            return new Opened<>(db, tables.apply(db));
        } catch (RuntimeException e) {
            db.close();
            throw new CtlException(SiprelayCtl.EXIT_DATABASE, "cannot open database " + displayUrl() + ": "
                    + CtlException.rootMessage(e), e);
        }
    }

    /**
     * Opens with a few retries while another process is just starting its H2 auto-server (two processes opening the
     * file at the same moment get H2 error 90020 "Locked by another process"; a moment later the second connects
     * through the first one's server).
     */
    private Database connect() {
        for (int attempt = 1; ; attempt++) {
            try {
                return Database.builder().url(url()).user(user).password(password).poolSize(2)
                        .connectTimeout(Duration.ofSeconds(5)).poolName("siprelayctl").open();
            } catch (RuntimeException e) {
                String why = CtlException.rootMessage(e);
                if (attempt < 10 && why.contains("[90020-")) {
                    try {
                        Thread.sleep(100L * attempt);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                    continue;
                }
                throw new CtlException(SiprelayCtl.EXIT_DATABASE, "cannot open database " + displayUrl() + ": " + why,
                        e);
            }
        }
    }

    /** Tables opened on their own pool for one command. */
    record Opened<T>(Database database, T tables) implements AutoCloseable {
        @Override
        public void close() {
            database.close();
        }
    }
}
