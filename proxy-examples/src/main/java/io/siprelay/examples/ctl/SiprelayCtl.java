package io.siprelay.examples.ctl;

import java.io.InputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.nio.file.Path;
import java.sql.SQLException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code siprelayctl}: the management CLI of a SipRelay PBX, what {@code kamctl} and {@code kamcmd} are to Kamailio.
 *
 * <p>Provisioning commands ({@code user}, {@code address add|rm|list}, {@code dispatcher add|rm|show}) work on the
 * database directly and need no running PBX. Runtime commands ({@code address reload|dump}, {@code dispatcher
 * list|set-state|reload}, {@code ul}, {@code stats}, {@code core version}, {@code rtpengine}, {@code rpc}) call the
 * running PBX over JSON-RPC 2.0.
 *
 * <p>Exit codes: 0 success, 1 usage or validation error (or nothing to change), 2 PBX not reachable, 3 the PBX
 * answered with an error, 4 database error.
 */
@Command(name = "siprelayctl", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = SiprelayCtl.Version.class, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Manage a SipRelay PBX: subscribers, address groups and dispatcher entries in the database "
                + "(like kamctl), registrations, dispatcher states, rtpengine instances and statistics of the "
                + "running PBX over JSON-RPC (like kamcmd)."},
        subcommands = {UserCommand.class, AddressCommand.class, DispatcherCommand.class, UlCommand.class,
                StatsCommand.class, CoreCommand.class, RtpEngineCommand.class, RpcCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success", "  1  usage or validation error, or nothing matched", "  2  PBX not reachable",
                "  3  the PBX answered with an error (JSON-RPC error, HTTP 401...)", "  4  database error"})
public final class SiprelayCtl {

    public static final int EXIT_OK = 0;
    public static final int EXIT_USAGE = 1;
    public static final int EXIT_UNREACHABLE = 2;
    public static final int EXIT_RPC_ERROR = 3;
    public static final int EXIT_DATABASE = 4;

    @Option(scope = ScopeType.INHERIT, names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:SIPRELAY_DATA_DIR:-data}",
            description = "Data directory of the embedded H2 database <DIR>/siprelay (default: ${DEFAULT-VALUE}; "
                    + "env SIPRELAY_DATA_DIR).")
    Path dataDir;

    @Option(scope = ScopeType.INHERIT, names = "--db-url", paramLabel = "JDBC_URL", defaultValue = "${env:SIPRELAY_DB_URL}",
            description = "JDBC URL instead of the embedded H2 database, e.g. jdbc:mariadb://db:3306/kamailio or "
                    + "jdbc:postgresql://db/kamailio (env SIPRELAY_DB_URL).")
    String dbUrl;

    @Option(scope = ScopeType.INHERIT, names = "--db-user", paramLabel = "USER", defaultValue = "${env:SIPRELAY_DB_USER}",
            description = "Database user (env SIPRELAY_DB_USER).")
    String dbUser;

    @Option(scope = ScopeType.INHERIT, names = "--db-password", paramLabel = "PASSWORD", defaultValue = "${env:SIPRELAY_DB_PASSWORD}",
            description = "Database password (env SIPRELAY_DB_PASSWORD keeps it out of the shell history).")
    String dbPassword;

    @Option(scope = ScopeType.INHERIT, names = "--mgmt-url", paramLabel = "URL",
            defaultValue = "${env:SIPRELAY_MGMT_URL:-http://127.0.0.1:8088/rpc}",
            description = "JSON-RPC endpoint of the running PBX (default: ${DEFAULT-VALUE}; env SIPRELAY_MGMT_URL).")
    String mgmtUrl;

    @Option(scope = ScopeType.INHERIT, names = "--mgmt-token", paramLabel = "TOKEN", defaultValue = "${env:SIPRELAY_MGMT_TOKEN}",
            description = "Bearer token for the management endpoint (env SIPRELAY_MGMT_TOKEN).")
    String mgmtToken;

    @Option(scope = ScopeType.INHERIT, names = "--timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "Connect and answer timeout for JSON-RPC calls (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(scope = ScopeType.INHERIT, names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @Option(scope = ScopeType.INHERIT, names = "--debug", hidden = true, description = "Print stack traces of errors.")
    boolean debug;

    private InputStream stdin = System.in;

    /** Standard input, where a password given as {@code -} is read from (tests replace it). */
    public SiprelayCtl stdin(InputStream in) {
        this.stdin = in;
        return this;
    }

    InputStream stdin() {
        return stdin;
    }

    /** The root command object of the command being run. */
    static SiprelayCtl root(CommandSpec spec) {
        return (SiprelayCtl) spec.root().userObject();
    }

    /** Output for the command of {@code spec}, honouring {@code --json}. */
    static Output output(CommandSpec spec) {
        return new Output(spec.commandLine().getOut(), root(spec).json);
    }

    RpcClient rpc() {
        if (timeoutSeconds < 1) {
            throw CtlException.usage("--timeout must be 1 second or more");
        }
        return new RpcClient(mgmtUrl, mgmtToken, java.time.Duration.ofSeconds(timeoutSeconds));
    }

    CtlDatabase database() {
        return new CtlDatabase(dataDir, dbUrl, dbUser, dbPassword);
    }

    public static void main(String[] args) {
        // Hikari and Flyway log at INFO through slf4j-simple: keep a CLI's stderr for errors.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
        System.exit(commandLine(new SiprelayCtl()).execute(args));
    }

    /** A picocli command line for {@code ctl} with siprelayctl's error handling (one line on stderr, exit codes). */
    public static CommandLine commandLine(SiprelayCtl ctl) {
        CommandLine cl = new CommandLine(ctl);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            String name = c.getCommandSpec().qualifiedName();
            PrintWriter err = c.getErr();
            err.println(name + ": " + ex.getMessage() + " (see '" + name + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            PrintWriter err = c.getErr();
            int code;
            String message;
            if (ex instanceof CtlException ce) {
                code = ce.exitCode();
                message = ce.getMessage();
            } else if (ex instanceof IllegalArgumentException) {
                code = EXIT_USAGE;
                message = ex.getMessage();
            } else if (causedBy(ex, SQLException.class) || ex.getClass().getName().startsWith("org.jdbi.")
                    || ex.getClass().getName().startsWith("org.flywaydb.")) {
                code = EXIT_DATABASE;
                message = "database error: " + CtlException.rootMessage(ex);
            } else if (causedBy(ex, ConnectException.class)) {
                code = EXIT_UNREACHABLE;
                message = CtlException.rootMessage(ex);
            } else {
                code = EXIT_USAGE;
                message = "unexpected error: " + ex.getClass().getSimpleName() + ": " + CtlException.rootMessage(ex);
            }
            err.println("siprelayctl: " + message.replace('\n', ' '));
            if (ctl.debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return code;
        });
        return cl;
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** {@code --version}: the jar's Implementation-Version when it has one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SiprelayCtl.class.getPackage().getImplementationVersion();
            return new String[] {"siprelayctl " + (v == null ? "(development build)" : v)};
        }
    }
}
