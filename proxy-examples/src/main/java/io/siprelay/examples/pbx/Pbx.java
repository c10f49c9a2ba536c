package io.siprelay.examples.pbx;

import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.db.AuthDatabase;
import io.siprelay.auth.db.JdbcAddressStore;
import io.siprelay.auth.db.JdbcSubscriberStore;
import io.siprelay.core.SipProxy;
import io.siprelay.core.blocks.FloodDetector;
import io.siprelay.core.blocks.Nat;
import io.siprelay.core.blocks.Scanners;
import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.SystemClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.concurrent.KeyedExecutor;
import io.siprelay.core.proxy.Listener;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.transport.TcpTransport;
import io.siprelay.core.transport.TlsSettings;
import io.siprelay.core.transport.TlsTransport;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportOptions;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.core.transport.WebSocketTransport;
import io.siprelay.db.Database;
import io.siprelay.dispatcher.Algorithm;
import io.siprelay.dispatcher.Dispatcher;
import io.siprelay.dispatcher.JdbiDispatcherSource;
import io.siprelay.examples.management.ManagedPbx;
import io.siprelay.examples.management.ManagementServer;
import io.siprelay.media.MediaRelay;
import io.siprelay.media.NgClient;
import io.siprelay.media.RtpEngine;
import io.siprelay.media.RtpEngineInstance;
import io.siprelay.permissions.Permissions;
import io.siprelay.registrar.NatKeepalive;
import io.siprelay.registrar.Registrar;
import io.siprelay.registrar.store.LocationDatabase;
import io.siprelay.registrar.store.WriteThroughLocationStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example PBX: SipRelay's proxy core with the registrar (write-through location store), digest authentication
 * against the {@code subscriber} table, the carrier address group from the {@code address} table and the dispatcher
 * from the {@code dispatcher} table, all in one database (embedded H2 by default), routed by {@link PbxRoutes} and
 * managed over JSON-RPC ({@link ManagementServer}). With {@code --rtpengine} calls get a media relay: one
 * {@link RtpEngine} on the proxy's clock and a {@link MediaRelay} the routes call.
 *
 * <pre>{@code
 * try (Pbx pbx = Pbx.start(config)) { ... }                     // real sockets, system clock
 * Pbx pbx = Pbx.builder(config)                                 // a test: the kit's network, clock and executor
 *         .transports(List.of(kit.network().transport(UDP, "127.0.0.1", 5060)))
 *         .clock(kit.clock()).executor(new InlineExecutor()).codec(kit.codec()).management(false)
 *         .start();
 * }</pre>
 */
public final class Pbx implements ManagedPbx, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Pbx.class);

    private final PbxConfig config;
    private final String domain;
    private final Database database;
    private final LocationDatabase locationDb;
    private final WriteThroughLocationStore locationStore;
    private final Registrar registrar;
    private final AuthDatabase authDb;
    private final JdbcSubscriberStore subscribers;
    private final JdbcAddressStore addresses;
    private final Permissions permissions;
    private final DigestAuth auth;
    private final FloodDetector flood;
    private final PbxCounters counters = new PbxCounters();
    private final PbxRoutes routes;
    private final SipProxy proxy;
    /** The rtpengine set, or null (no --rtpengine, or a client given by a test). */
    private final RtpEngine rtpEngine;
    /** The media relay, or null: signalling only. */
    private final MediaRelay media;
    private final SipClock clock;
    private final boolean ownsClock;
    private final long startedMillis = System.currentTimeMillis();
    private volatile Dispatcher dispatcher;
    private NatKeepalive keepalive;
    private volatile boolean draining;
    private volatile boolean closed;
    private ManagementServer management;

    private Pbx(Builder b) {
        this.config = b.config;
        this.domain = config.effectiveDomain();
        this.ownsClock = b.clock == null;
        this.clock = ownsClock ? new SystemClock() : b.clock;
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            String url = config.jdbcUrl();
            if (url.startsWith("jdbc:h2:file:") && config.dbUrl == null) {
                Files.createDirectories(config.dataPath());
            }
            // one pool for every table (location, subscriber, address, dispatcher); each component migrates its own
            this.database = Database.builder().url(url).user(config.dbUser).password(config.dbPassword)
                    .poolSize(8).poolName("siprelay-pbx").open();
            opened.add(database);
            this.locationDb = LocationDatabase.on(database);
            this.locationStore = new WriteThroughLocationStore(clock, locationDb);
            this.registrar = Registrar.builder().clock(clock).store(locationStore).build();
            opened.add(registrar);
            this.authDb = AuthDatabase.on(database);
            this.subscribers = new JdbcSubscriberStore(authDb, Duration.ofSeconds(5), 10_000);
            this.addresses = new JdbcAddressStore(authDb);
            this.permissions = Permissions.load(addresses);
            this.auth = DigestAuth.builder().subscribers(subscribers).clock(clock).secret(secret(config))
                    .algorithms(config.digestAlgorithmList()).build();
            JdbiDispatcherSource dsSource = JdbiDispatcherSource.on(database);

            // A domain name is ours on any port (alias=); an IP address only on our listen ports (listen=): with the
            // default domain, the listen IP, a phone on the same IP (sip:1002@127.0.0.1:5070 in a BYE's Request-URI)
            // would otherwise count as "myself", loose routing would take it for a strict router's and the BYE
            // would loop back to us and get 404 "Not here".
            Myself myself = Myself.create();
            boolean ipDomain = isIpLiteral(domain);
            if (!ipDomain) {
                myself.domain(domain);
            }
            for (String alias : config.aliases) {
                myself.domain(alias);
            }
            this.flood = FloodDetector.builder(clock).density(Math.max(1, config.floodDensity))
                    .samplingTime(Duration.ofSeconds(config.floodWindow))
                    .blockTime(Duration.ofSeconds(config.floodBlock)).build();
            Scanners scanners = config.scannerUserAgents.isEmpty() ? null
                    : Scanners.dropMatching(config.scannerUserAgents);
            SipCodec codec = b.codec != null ? b.codec : SipCodec.create();
            this.rtpEngine = b.ngClient == null && config.hasMediaRelay()
                    ? config.rtpEngineBuilder().clock(clock).build() : null;
            if (rtpEngine != null) {
                opened.add(rtpEngine);
            }
            NgClient ng = b.ngClient != null ? b.ngClient : rtpEngine;
            this.media = ng == null ? null : MediaRelay.builder(ng).clock(clock).build();
            PbxRoutes.Builder rb = PbxRoutes.builder().myself(myself, domain)
                    .flood(config.floodDensity > 0 ? flood : null).scanners(scanners)
                    .natTests(Nat.Test.of(config.natTests)).registrar(registrar).auth(auth, subscribers)
                    .carriers(permissions, config.carrierGroup)
                    .carrier(PbxRoutes.Carrier.of(config.carrier, codec.addressFactory()))
                    .draining(() -> draining).counters(counters);
            if (media != null) {
                rb.media(media, config.mediaFlags(), config.mediaNatOnly());
            }
            if (config.dispatcherSet > 0) {
                rb.dispatcher(() -> dispatcher, config.dispatcherSet, Algorithm.of(config.dispatcherAlgorithm));
            }
            this.routes = rb.build();

            SipProxy.Builder pb = SipProxy.builder().requestRoute(routes.request).myself(myself).clock(clock);
            if (b.executor != null) {
                pb.executor(b.executor);
            }
            pb.codec(codec);
            for (Transport t : b.transports != null ? b.transports : transports(config)) {
                if (config.advertise != null && !config.advertise.isBlank()) {
                    pb.listen(t, config.advertise);
                } else {
                    pb.listen(t);
                }
            }
            this.proxy = pb.build();
            opened.add(proxy);
            this.dispatcher = Dispatcher.builder().source(dsSource).proxy(proxy)
                    .pingInterval(Duration.ofSeconds(config.probeInterval))
                    .probeTimeout(Duration.ofSeconds(config.probeTimeout))
                    .probingThreshold(config.probingThreshold).inactiveThreshold(config.inactiveThreshold)
                    .probingMode(config.probingMode)
                    .pingFrom("sip:pbx@" + domain)
                    .build();
            opened.add(dispatcher);
            proxy.start();
            if (ipDomain) {
                for (Listener l : proxy.listeners()) {
                    myself.address(domain, l.port());
                }
            }
            dispatcher.start();
            if (rtpEngine != null) {
                pingRtpEngines();
            }
            if (config.natPingInterval > 0) {
                this.keepalive = NatKeepalive.builder().registrar(registrar).proxy(proxy)
                        .interval(Duration.ofSeconds(config.natPingInterval))
                        .maxPerSecond(config.natPingMaxPerSecond).from("sip:keepalive@" + domain).build().start();
                opened.add(keepalive);
            }
            if (b.management && config.mgmtAddress() != null) {
                management = ManagementServer.start(this, config.mgmtAddress(), config.mgmtToken);
                opened.add(management);
            }
        } catch (IOException | GeneralSecurityException e) {
            closeAll(opened);
            throw new IllegalStateException(e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /** Starts the PBX as configured: real sockets, the system clock, management when configured. */
    public static Pbx start(PbxConfig config) {
        return builder(config).start();
    }

    public static Builder builder(PbxConfig config) {
        return new Builder(config);
    }

    // ------------------------------------------------------------------------------------------ accessors

    public PbxConfig config() {
        return config;
    }

    /** The subscribers' domain and digest realm. */
    public String domain() {
        return domain;
    }

    @Override
    public SipProxy proxy() {
        return proxy;
    }

    public PbxRoutes routes() {
        return routes;
    }

    @Override
    public Registrar registrar() {
        return registrar;
    }

    @Override
    public DigestAuth auth() {
        return auth;
    }

    /** The {@code subscriber} table ({@code kamctl add}). */
    @Override
    public JdbcSubscriberStore subscribers() {
        return subscribers;
    }

    /** The {@code address} table ({@code kamctl address add}); call {@code permissions().reload()} after changes. */
    public JdbcAddressStore addresses() {
        return addresses;
    }

    @Override
    public Permissions permissions() {
        return permissions;
    }

    @Override
    public Dispatcher dispatcher() {
        return dispatcher;
    }

    /** The NAT keep-alive pinger, or null when it is off. */
    public NatKeepalive natKeepalive() {
        return keepalive;
    }

    /** The rtpengine set of the media relay, or null when there is none. */
    @Override
    public RtpEngine rtpEngine() {
        return rtpEngine;
    }

    /** The media relay the routes call, or null: signalling only. */
    @Override
    public MediaRelay media() {
        return media;
    }

    @Override
    public FloodDetector flood() {
        return flood;
    }

    @Override
    public PbxCounters counters() {
        return counters;
    }

    /** The management server, or null when management is off. */
    public ManagementServer management() {
        return management;
    }

    /** Wall-clock start time, epoch millis. */
    @Override
    public long startedMillis() {
        return startedMillis;
    }

    /** The SipRelay version this PBX was built from. */
    @Override
    public String version() {
        return Version.current();
    }

    /** True once {@link #close()} has begun: new requests get 503. */
    public boolean isDraining() {
        return draining;
    }

    // ------------------------------------------------------------------------------------------ shutdown

    /**
     * Graceful stop: new requests outside dialogs get 503 with Retry-After, running transactions get up to
     * {@code shutdownGrace} seconds to finish, then probing, listeners, management and the database pool close.
     * Every registration was written through to the database when it was made, so nothing is lost.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        beginDrain();
        long deadline = System.nanoTime() + Duration.ofSeconds(config.shutdownGrace).toNanos();
        while (proxy.activeRelays() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (proxy.activeRelays() > 0) {
            LOG.warn("stopping with {} transactions still running", proxy.activeRelays());
        }
        // closeAll goes from the last to the first: probing and listeners stop first, the database pool last
        List<AutoCloseable> all = new ArrayList<>();
        all.add(database);
        all.add(locationStore);
        all.add(registrar);
        if (rtpEngine != null) {
            all.add(rtpEngine); // after the proxy: no route sends to it any more
        }
        if (management != null) {
            all.add(management);
        }
        all.add(proxy);
        all.add(dispatcher);
        if (keepalive != null) {
            all.add(keepalive);
        }
        closeAll(all);
        if (ownsClock && clock instanceof SystemClock s) {
            s.close();
        }
        LOG.info("PBX stopped");
    }

    /** The first step of {@link #close()}: from now on new requests outside dialogs get 503 with Retry-After. */
    void beginDrain() {
        if (!draining) {
            draining = true;
            LOG.info("shutting down: refusing new requests, {} transactions running", proxy.activeRelays());
        }
    }

    /** One ping per instance at start: those that do not answer are logged (and out of use until a probe answers). */
    private void pingRtpEngines() {
        for (RtpEngineInstance i : rtpEngine.instances()) {
            rtpEngine.ping(i).thenAccept(ok -> {
                if (ok) {
                    LOG.info("rtpengine {} answers", i.url());
                } else {
                    LOG.warn("rtpengine {} does not answer ping: it takes no calls until a probe gets an answer",
                            i.url());
                }
            });
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
    }

    // ------------------------------------------------------------------------------------------ banner

    /** What listens where, for the start-up banner. */
    public String banner() {
        StringBuilder b = new StringBuilder();
        b.append("SipRelay PBX ").append(Version.current()).append(" (Kamailio 101 PBX)\n");
        for (Listener l : proxy.listeners()) {
            b.append(String.format(Locale.ROOT, "  SIP        %s %s:%d%n", l.transport().type(), l.host(), l.port()));
        }
        b.append("  domain     ").append(domain).append('\n');
        b.append("  database   ").append(database.displayUrl()).append('\n');
        if (config.dispatcherSet > 0) {
            b.append("  carrier    dispatcher set ").append(config.dispatcherSet).append(", algorithm ")
                    .append(config.dispatcherAlgorithm).append(", probing every ").append(config.probeInterval)
                    .append(" s\n");
        } else if (config.carrier != null) {
            b.append("  carrier    ").append(routes.carrier()).append('\n');
        } else {
            b.append("  carrier    none (calls to non-local numbers get 404)\n");
        }
        b.append("  carriers   address group ").append(config.carrierGroup).append(" (").append(permissions.size())
                .append(" entries)\n");
        b.append("  auth       digest ").append(config.digestAlgorithms.toLowerCase(Locale.ROOT))
                .append(", realm ").append(domain).append('\n');
        b.append("  nat        ").append(config.natTests == 0 ? "off" : "nat_uac_test(" + config.natTests + ")")
                .append(", keep-alive ").append(config.natPingInterval == 0 ? "off"
                        : "every " + config.natPingInterval + " s").append('\n');
        b.append("  media      ").append(mediaBanner()).append('\n');
        b.append("  flood      ").append(config.floodDensity == 0 ? "off" : config.floodDensity + " requests per "
                + config.floodWindow + " s blocks a source for " + config.floodBlock + " s").append('\n');
        b.append("  users      ").append(subscribers.count()).append(" subscribers, ")
                .append(registrar.locationService().dump(true).domains().get(0).domain().size())
                .append(" registered AoRs\n");
        if (management != null) {
            InetSocketAddress m = management.address();
            b.append(String.format(Locale.ROOT, "  management http://%s:%d/rpc (JSON-RPC), /metrics%s%n",
                    m.getHostString(), m.getPort(), config.mgmtToken != null ? " (bearer token)" : ""));
            for (PbxConfig.ListenSpec l : config.listeners()) {
                if (l.proto().startsWith("ws")) {
                    b.append(String.format(Locale.ROOT, "  softphone  http://%s:%d/softphone/?ws=%s://%s:%d%n",
                            m.getHostString(), m.getPort(), l.proto(), l.host(), l.port()));
                    break;
                }
            }
        } else {
            b.append("  management off\n");
        }
        return b.toString();
    }

    private String mediaBanner() {
        if (media == null) {
            return "none (signalling only)";
        }
        String engines = rtpEngine == null ? media.engine().getClass().getSimpleName()
                : rtpEngine.instances().stream().map(i -> i.url() + " (weight " + i.weight() + ")")
                        .collect(Collectors.joining(", "));
        String flags = config.mediaFlags().toString();
        return "rtpengine " + engines + ", mode " + (config.mediaNatOnly() ? "nat" : "always") + ", flags "
                + (flags.isEmpty() ? "none" : flags);
    }

    // ------------------------------------------------------------------------------------------ set-up helpers

    private static List<Transport> transports(PbxConfig c) throws IOException, GeneralSecurityException {
        List<Transport> out = new ArrayList<>();
        TlsSettings tls = null;
        for (PbxConfig.ListenSpec l : c.listeners()) {
            InetSocketAddress a = new InetSocketAddress(l.host(), l.port());
            if (l.proto().equals("udp")) {
                out.add(new UdpTransport(a));
            } else if (l.proto().equals("tcp")) {
                out.add(new TcpTransport(a));
            } else if (l.proto().equals("ws")) {
                out.add(new WebSocketTransport(a, TransportOptions.defaults(), c.wsPath));
            } else {
                if (tls == null) {
                    char[] pw = c.tlsKeyStorePassword == null ? new char[0] : c.tlsKeyStorePassword.toCharArray();
                    tls = TlsSettings.fromKeyStore(Path.of(c.tlsKeyStore), pw).build();
                }
                out.add(l.proto().equals("tls") ? new TlsTransport(a, tls)
                        : WebSocketTransport.secure(a, TransportOptions.defaults(), tls, c.wsPath));
            }
        }
        return out;
    }

    /** An IPv4 or IPv6 address literal (with or without brackets), not a name. */
    static boolean isIpLiteral(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (host.indexOf(':') >= 0 || host.startsWith("[")) {
            return true;
        }
        return host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static byte[] secret(PbxConfig c) {
        if (c.authSecret != null && !c.authSecret.isEmpty()) {
            return c.authSecret.getBytes(StandardCharsets.UTF_8);
        }
        byte[] s = new byte[32];
        new SecureRandom().nextBytes(s);
        return s;
    }

    /** How the PBX is built: from the configuration, optionally on a test kit's network, clock and executor. */
    public static final class Builder {
        private final PbxConfig config;
        private List<Transport> transports;
        private SipClock clock;
        private KeyedExecutor executor;
        private SipCodec codec;
        private boolean management = true;
        private NgClient ngClient;

        private Builder(PbxConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Listen on these transports instead of the configured addresses (the in-memory network in tests). */
        public Builder transports(List<Transport> transports) {
            this.transports = List.copyOf(transports);
            return this;
        }

        public Builder clock(SipClock clock) {
            this.clock = clock;
            return this;
        }

        public Builder executor(KeyedExecutor executor) {
            this.executor = executor;
            return this;
        }

        public Builder codec(SipCodec codec) {
            this.codec = codec;
            return this;
        }

        /**
         * The rtpengine the media relay talks to instead of the configured instances (a scripted one in route tests);
         * with it the media relay is on even without {@code --rtpengine}.
         */
        public Builder ngClient(NgClient client) {
            this.ngClient = client;
            return this;
        }

        /** Start the management server when one is configured (default true). */
        public Builder management(boolean on) {
            this.management = on;
            return this;
        }

        /** Opens the database, builds the components and routes, binds the listeners and starts. */
        public Pbx start() {
            config.validate();
            return new Pbx(this);
        }
    }
}
