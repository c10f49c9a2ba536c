package io.siprelay.examples.pbx;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar siprelay-example.jar [options]}: the Kamailio 101 PBX. Without options it listens on UDP and TCP
 * 127.0.0.1:5060, keeps its data in an H2 database under {@code ./data} and serves JSON-RPC on 127.0.0.1:8088.
 * Options override the JSON file given with {@code --config}, which overrides the defaults.
 */
@Command(name = "siprelay-pbx", mixinStandardHelpOptions = true, versionProvider = PbxMain.VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "The Kamailio 101 PBX on SipRelay: registrar, digest auth, carrier group, dispatcher failover, "
                + "RTPengine media relay.")
public final class PbxMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "JSON configuration file (field names as the options, camelCase: dataDir, dbUrl, dispatcherSet...)")
    Path configFile;

    @Option(names = {"-l", "--listen"}, paramLabel = "PROTO:HOST:PORT", description = "listen address, repeatable; proto udp, tcp, tls, ws or wss (WebSocket for browsers) (default udp:127.0.0.1:5060 and tcp:127.0.0.1:5060)")
    List<String> listen;

    @Option(names = "--advertise", paramLabel = "HOST", description = "host to put in Via/Record-Route instead of the bound address (NAT)")
    String advertise;

    @Option(names = "--ws-path", paramLabel = "PATH", description = "path WebSocket upgrades must ask for (default /: any)")
    String wsPath;

    @Option(names = "--tls-keystore", paramLabel = "FILE", description = "key store (PKCS12/JKS) for tls and wss listeners")
    String tlsKeyStore;

    @Option(names = "--tls-keystore-password", paramLabel = "PASSWORD", description = "key store password")
    String tlsKeyStorePassword;

    @Option(names = {"-d", "--domain"}, paramLabel = "DOMAIN", description = "SIP domain of the subscribers and digest realm (default: the first listen host)")
    String domain;

    @Option(names = "--alias", paramLabel = "NAME", description = "another name of this proxy (Kamailio alias=), repeatable")
    List<String> aliases;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "directory of the embedded H2 database siprelay.mv.db (default ./data)")
    String dataDir;

    @Option(names = "--db-url", paramLabel = "JDBC_URL", description = "database instead of the embedded H2 (jdbc:mariadb://..., jdbc:postgresql://...)")
    String dbUrl;

    @Option(names = "--db-user", paramLabel = "USER")
    String dbUser;

    @Option(names = "--db-password", paramLabel = "PASSWORD")
    String dbPassword;

    @Option(names = "--carrier", paramLabel = "URI", description = "carrier for calls to non-local numbers: sip:host[:port]")
    String carrier;

    @Option(names = "--carrier-group", paramLabel = "GROUP", description = "address group of trusted carriers (default 200)")
    Integer carrierGroup;

    @Option(names = "--dispatcher-set", paramLabel = "SETID", description = "carrier is this dispatcher set, with failover (wins over --carrier)")
    Integer dispatcherSet;

    @Option(names = "--dispatcher-alg", paramLabel = "ALG", description = "ds_select_dst algorithm: 0-13, e.g. 4 round robin (default), 8 priority, 9 weight")
    Integer dispatcherAlgorithm;

    @Option(names = "--probe-interval", paramLabel = "SECONDS", description = "OPTIONS probing interval, 0 = off (default 10)")
    Integer probeInterval;

    @Option(names = "--probe-timeout", paramLabel = "SECONDS", description = "probe answer timeout (default 2)")
    Integer probeTimeout;

    @Option(names = "--probing-threshold", paramLabel = "N", description = "failed probes before inactive (default 1)")
    Integer probingThreshold;

    @Option(names = "--inactive-threshold", paramLabel = "N", description = "good probes before active again (default 1)")
    Integer inactiveThreshold;

    @Option(names = "--probing-mode", paramLabel = "MODE", description = "ds_probing_mode 0-3 (default 1: all destinations)")
    Integer probingMode;

    @Option(names = "--mgmt", paramLabel = "HOST:PORT|off", description = "JSON-RPC and /metrics address (default 127.0.0.1:8088)")
    String mgmt;

    @Option(names = "--mgmt-token", paramLabel = "TOKEN", description = "bearer token for management; required unless it is bound to loopback")
    String mgmtToken;

    @Option(names = "--auth-secret", paramLabel = "SECRET", description = "nonce secret, the same on every instance (default: random per start)")
    String authSecret;

    @Option(names = "--digest-algorithms", paramLabel = "LIST", description = "digest algorithms offered, in order: md5 (default), sha-256,md5, md5,sha-256 or sha-256; two challenges break some clients (see README)")
    String digestAlgorithms;

    @Option(names = "--flood-density", paramLabel = "N", description = "pike: more than N requests per window from one source blocks it; 0 = off (default 16)")
    Integer floodDensity;

    @Option(names = "--flood-window", paramLabel = "SECONDS", description = "pike sampling time (default 2)")
    Integer floodWindow;

    @Option(names = "--flood-block", paramLabel = "SECONDS", description = "how long a flooding source is blocked (default 300)")
    Integer floodBlock;

    @Option(names = "--scanner-ua", paramLabel = "PATTERN", description = "User-Agent fragment to drop unanswered, repeatable, replaces the default scanner list; 'none' = no filter")
    List<String> scannerUserAgents;

    @Option(names = "--nat-tests", paramLabel = "FLAGS", description = "nat_uac_test flags for NAT detection (default 19); 0 = no NAT handling")
    Integer natTests;

    @Option(names = "--nat-ping-interval", paramLabel = "SECONDS", description = "OPTIONS keep-alive to registered phones behind NAT; 0 = off (default 30)")
    Integer natPingInterval;

    @Option(names = "--nat-ping-max", paramLabel = "N", description = "at most N keep-alive pings per second (default 1000)")
    Integer natPingMaxPerSecond;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", description = "time transactions get to finish on shutdown (default 5)")
    Integer shutdownGrace;

    @Option(names = "--rtpengine", paramLabel = "SPEC", description = "rtpengine media relay instance, repeatable: udp:HOST:PORT or udp:HOST:PORT=WEIGHT (default none: signalling only)")
    List<String> rtpengine;

    @Option(names = "--rtpengine-mode", paramLabel = "always|nat", description = "calls relayed by rtpengine: always (default), or nat: only when the caller or the callee is behind NAT")
    String rtpengineMode;

    @Option(names = "--rtpengine-flags", paramLabel = "FLAGS", description = "rtpengine_manage flags (default \"replace-origin replace-session-connection\")")
    String rtpengineFlags;

    public static void main(String[] args) {
        int rc = new CommandLine(new PbxMain()).execute(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /** The configuration: defaults, then the file, then the options given. */
    PbxConfig config() throws java.io.IOException {
        PbxConfig c = configFile != null ? PbxConfig.read(configFile) : new PbxConfig();
        if (listen != null) {
            c.listen = listen;
        }
        if (advertise != null) {
            c.advertise = advertise;
        }
        if (wsPath != null) {
            c.wsPath = wsPath;
        }
        if (tlsKeyStore != null) {
            c.tlsKeyStore = tlsKeyStore;
        }
        if (tlsKeyStorePassword != null) {
            c.tlsKeyStorePassword = tlsKeyStorePassword;
        }
        if (domain != null) {
            c.domain = domain;
        }
        if (aliases != null) {
            c.aliases = aliases;
        }
        if (dataDir != null) {
            c.dataDir = dataDir;
        }
        if (dbUrl != null) {
            c.dbUrl = dbUrl;
        }
        if (dbUser != null) {
            c.dbUser = dbUser;
        }
        if (dbPassword != null) {
            c.dbPassword = dbPassword;
        }
        if (carrier != null) {
            c.carrier = carrier;
        }
        if (carrierGroup != null) {
            c.carrierGroup = carrierGroup;
        }
        if (dispatcherSet != null) {
            c.dispatcherSet = dispatcherSet;
        }
        if (dispatcherAlgorithm != null) {
            c.dispatcherAlgorithm = dispatcherAlgorithm;
        }
        if (probeInterval != null) {
            c.probeInterval = probeInterval;
        }
        if (probeTimeout != null) {
            c.probeTimeout = probeTimeout;
        }
        if (probingThreshold != null) {
            c.probingThreshold = probingThreshold;
        }
        if (inactiveThreshold != null) {
            c.inactiveThreshold = inactiveThreshold;
        }
        if (probingMode != null) {
            c.probingMode = probingMode;
        }
        if (mgmt != null) {
            c.mgmt = mgmt;
        }
        if (mgmtToken != null) {
            c.mgmtToken = mgmtToken;
        }
        if (authSecret != null) {
            c.authSecret = authSecret;
        }
        if (digestAlgorithms != null) {
            c.digestAlgorithms = digestAlgorithms;
        }
        if (floodDensity != null) {
            c.floodDensity = floodDensity;
        }
        if (floodWindow != null) {
            c.floodWindow = floodWindow;
        }
        if (floodBlock != null) {
            c.floodBlock = floodBlock;
        }
        if (scannerUserAgents != null) {
            c.scannerUserAgents = scannerUserAgents.size() == 1 && scannerUserAgents.get(0).equalsIgnoreCase("none")
                    ? new java.util.ArrayList<>() : scannerUserAgents;
        }
        if (natTests != null) {
            c.natTests = natTests;
        }
        if (natPingInterval != null) {
            c.natPingInterval = natPingInterval;
        }
        if (natPingMaxPerSecond != null) {
            c.natPingMaxPerSecond = natPingMaxPerSecond;
        }
        if (shutdownGrace != null) {
            c.shutdownGrace = shutdownGrace;
        }
        if (rtpengine != null) {
            c.rtpengine = rtpengine;
        }
        if (rtpengineMode != null) {
            c.rtpengineMode = rtpengineMode;
        }
        if (rtpengineFlags != null) {
            c.rtpengineFlags = rtpengineFlags;
        }
        return c;
    }

    @Override
    public Integer call() throws Exception {
        PbxConfig c;
        try {
            c = config();
            c.validate();
        } catch (java.io.IOException | IllegalArgumentException e) {
            System.err.println("configuration error: " + e.getMessage());
            return 2;
        }
        Pbx pbx;
        try {
            pbx = Pbx.start(c);
        } catch (RuntimeException e) {
            System.err.println("cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping (up to " + c.shutdownGrace + " s for running transactions)...");
            pbx.close();
            stopped.countDown();
        }, "siprelay-shutdown"));
        PrintWriter out = new PrintWriter(System.out, true);
        out.print(pbx.banner());
        out.println("Users, carrier addresses and gateways: siprelayctl (see the README). Ctrl-C or SIGTERM stops"
                + " gracefully.");
        out.flush();
        stopped.await();
        return 0;
    }

    /** {@code --version}. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"SipRelay PBX " + Version.current()};
        }
    }
}
