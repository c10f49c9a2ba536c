package io.siprelay.examples.pbx;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.media.MediaFlags;
import io.siprelay.media.RtpEngine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything the PBX can be told, with the defaults a newcomer needs (UDP and TCP on 127.0.0.1:5060, H2 under
 * {@code ./data}, management on 127.0.0.1:8088). Read from an optional JSON file (the field names below, e.g.
 * {@code {"listen": ["udp:0.0.0.0:5060"], "domain": "pbx.example.com", "rtpengine": ["udp:127.0.0.1:2223"]}}) and then
 * overridden by command-line flags ({@link PbxMain}). Unknown JSON fields are an error, so typos do not pass silently.
 */
public final class PbxConfig {

    /**
     * Listen addresses as {@code proto:host:port}, proto udp, tcp, tls, ws or wss (SIP over WebSocket for browsers;
     * wss and tls use {@link #tlsKeyStore}).
     */
    public List<String> listen = new ArrayList<>(List.of("udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"));
    /** Host put in Via/Record-Route instead of the bound one (a public address before NAT); null = the bound one. */
    public String advertise;
    /** The path WebSocket upgrades must ask for ({@code /ws}, say); {@code /} accepts any. */
    public String wsPath = "/";
    /** Key store (PKCS12 or JKS) for TLS listeners. */
    public String tlsKeyStore;
    public String tlsKeyStorePassword;

    /** The SIP domain of the subscribers and the digest realm; null = the host of the first listener. */
    public String domain;
    /** More names this proxy answers to (Kamailio's {@code alias=}). */
    public List<String> aliases = new ArrayList<>();

    /** Where the embedded H2 database lives. */
    public String dataDir = "data";
    /** JDBC URL overriding the embedded H2 database (MariaDB/MySQL or PostgreSQL). */
    public String dbUrl;
    public String dbUser;
    public String dbPassword;

    /** The carrier as one address ({@code sip:203.0.113.10:5060} or a host); null = none. */
    public String carrier;
    /** Or a dispatcher set with failover; 0 = no dispatcher set. Wins over {@link #carrier}. */
    public int dispatcherSet;
    /** Kamailio's algorithm number for {@code ds_select_dst} (4 round robin, 8 priority, 9 weight, ...). */
    public int dispatcherAlgorithm = 4;
    /** {@code ds_ping_interval} in seconds; 0 = no probing. */
    public int probeInterval = 10;
    /** Seconds a probe may take before it counts as failed. */
    public int probeTimeout = 2;
    public int probingThreshold = 1;
    public int inactiveThreshold = 1;
    /** {@code ds_probing_mode}: 0 flagged only, 1 all (default), 2 inactive+flagged, 3 flagged forever. */
    public int probingMode = 1;
    /** Address group whose members are trusted carriers ({@code allow_source_address("200")}). */
    public int carrierGroup = 200;

    /** Management (JSON-RPC, metrics) address, {@code host:port}, or {@code off}. */
    public String mgmt = "127.0.0.1:8088";
    /** Bearer token for management; required when {@link #mgmt} is not a loopback address. */
    public String mgmtToken;

    /** Digest nonce secret (the same on every instance of a cluster); null = random per start. */
    public String authSecret;
    /**
     * Digest algorithms offered and accepted, in the order of the challenges: {@code md5} (the default, what every
     * client understands), {@code sha-256,md5} or {@code md5,sha-256} (two challenges, which baresip 1.0 cannot
     * handle), {@code sha-256}.
     */
    public String digestAlgorithms = "md5";

    /**
     * Flood detection (Kamailio's pike): a source sending more than this many requests per {@link #floodWindow} is
     * blocked for {@link #floodBlock} seconds; 0 turns it off. The PBX itself and the carrier group are never blocked.
     */
    public int floodDensity = 16;
    /** Pike's sampling time, seconds. */
    public int floodWindow = 2;
    /** How long a flooding source stays blocked, seconds. */
    public int floodBlock = 300;
    /**
     * User-Agent fragments whose requests are dropped unanswered (case-insensitive); default the scanners of
     * {@code Scanners.KNOWN}; an empty list turns the filter off.
     */
    public List<String> scannerUserAgents = new ArrayList<>(io.siprelay.core.blocks.Scanners.KNOWN);
    /**
     * NAT detection, Kamailio's {@code nat_uac_test} flags (default 19: private Contact, Via host or port not the
     * source); 0 turns NAT handling off.
     */
    public int natTests = 19;
    /** OPTIONS keep-alive pings to registered phones behind NAT every this many seconds; 0 = off. */
    public int natPingInterval = 30;
    /** At most this many keep-alive pings per second. */
    public int natPingMaxPerSecond = 1000;

    /**
     * rtpengine instances of the media relay, {@code udp:127.0.0.1:2223} or {@code udp:HOST:PORT=WEIGHT} (Kamailio's
     * {@code rtpengine_sock}); empty = no media relay, the PBX handles signalling only.
     */
    public List<String> rtpengine = new ArrayList<>();
    /**
     * Which calls the media relay takes: {@code always}, or {@code nat} (only calls whose caller or callee NAT
     * detection found behind NAT, as Kamailio's NATMANAGE with FLT_NATS / FLB_NATB).
     */
    public String rtpengineMode = "always";
    /** The flags of {@code rtpengine_manage("...")}, Kamailio's string form (NATMANAGE's default). */
    public String rtpengineFlags = "replace-origin replace-session-connection";

    /** Seconds to let transactions finish on shutdown. */
    public int shutdownGrace = 5;

    /** Reads a JSON config file. */
    public static PbxConfig read(Path file) throws IOException {
        return new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .readValue(file.toFile(), PbxConfig.class);
    }

    /** The data directory as an absolute path. */
    @JsonIgnore
    public Path dataPath() {
        return Path.of(dataDir).toAbsolutePath().normalize();
    }

    /**
     * The JDBC URL: {@link #dbUrl}, else the shared embedded database
     * {@code jdbc:h2:file:<data dir>/siprelay;AUTO_SERVER=TRUE} (one file with every table, which {@code siprelayctl}
     * can open while the PBX runs).
     */
    @JsonIgnore
    public String jdbcUrl() {
        if (dbUrl != null && !dbUrl.isBlank()) {
            return dbUrl;
        }
        return h2Url(dataPath());
    }

    /** The shared embedded database URL for a data directory. */
    public static String h2Url(Path dataDir) {
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("siprelay") + ";AUTO_SERVER=TRUE";
    }

    /**
     * The subscribers' domain / realm: {@link #domain}, else the advertised host, else the first listen host (for a
     * wildcard listener, this machine's address).
     */
    @JsonIgnore
    public String effectiveDomain() {
        if (domain != null && !domain.isBlank()) {
            return domain;
        }
        if (advertise != null && !advertise.isBlank()) {
            return advertise;
        }
        String host = listeners().get(0).host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            try {
                return java.net.InetAddress.getLocalHost().getHostAddress();
            } catch (java.net.UnknownHostException e) {
                return "127.0.0.1";
            }
        }
        return host;
    }

    /** {@link #digestAlgorithms} parsed; throws IllegalArgumentException naming a bad entry. */
    @JsonIgnore
    public List<io.siprelay.auth.DigestAlgorithm> digestAlgorithmList() {
        return io.siprelay.auth.DigestAlgorithm.parseList(digestAlgorithms);
    }

    /** Management address, or null when it is off. */
    @JsonIgnore
    public InetSocketAddress mgmtAddress() {
        if (mgmt == null || mgmt.isBlank() || mgmt.equalsIgnoreCase("off")) {
            return null;
        }
        int colon = mgmt.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("management address must be host:port or off: " + mgmt);
        }
        return new InetSocketAddress(unbracket(mgmt.substring(0, colon)), parsePort(mgmt.substring(colon + 1), mgmt));
    }

    /** The parsed listen addresses. */
    @JsonIgnore
    public List<ListenSpec> listeners() {
        if (listen == null || listen.isEmpty()) {
            throw new IllegalArgumentException("at least one listen address is required");
        }
        List<ListenSpec> out = new ArrayList<>();
        for (String s : listen) {
            out.add(ListenSpec.parse(s));
        }
        return out;
    }

    /** True when rtpengine instances are configured: calls get the media relay. */
    @JsonIgnore
    public boolean hasMediaRelay() {
        return rtpengine != null && !rtpengine.isEmpty();
    }

    /**
     * The configured rtpengine instances, parsed (hosts resolved) but without a socket yet: the PBX adds its clock and
     * builds it.
     *
     * @throws IllegalArgumentException naming a spec that does not parse, or one given twice
     */
    @JsonIgnore
    public RtpEngine.Builder rtpEngineBuilder() {
        RtpEngine.Builder b = RtpEngine.builder();
        for (String spec : rtpengine == null ? List.<String>of() : rtpengine) {
            b.instance(spec);
        }
        return b;
    }

    /** {@link #rtpengineMode} parsed: true for {@code nat}, false for {@code always}. */
    @JsonIgnore
    public boolean mediaNatOnly() {
        String m = rtpengineMode == null ? "" : rtpengineMode.trim().toLowerCase(Locale.ROOT);
        return switch (m) {
            case "always" -> false;
            case "nat" -> true;
            default -> throw new IllegalArgumentException("rtpengine mode must be 'always' or 'nat', got '"
                    + rtpengineMode + "'");
        };
    }

    /** {@link #rtpengineFlags} parsed. */
    @JsonIgnore
    public MediaFlags mediaFlags() {
        try {
            return MediaFlags.parse(rtpengineFlags == null ? "" : rtpengineFlags);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad rtpengine flags: " + e.getMessage(), e);
        }
    }

    /** Checks the settings that can be checked without binding anything; throws IllegalArgumentException. */
    public void validate() {
        if (wsPath == null || !wsPath.startsWith("/") || wsPath.chars().anyMatch(ch -> ch <= ' ')) {
            throw new IllegalArgumentException("the WebSocket path must start with / and have no spaces, got '"
                    + wsPath + "'");
        }
        List<ListenSpec> ls = listeners();
        for (ListenSpec l : ls) {
            if ((l.proto().equals("tls") || l.proto().equals("wss")) && (tlsKeyStore == null || tlsKeyStore.isBlank())) {
                throw new IllegalArgumentException("a " + l.proto().toUpperCase(Locale.ROOT)
                        + " listener needs --tls-keystore");
            }
        }
        InetSocketAddress m = mgmtAddress();
        if (m != null && !m.getAddress().isLoopbackAddress() && (mgmtToken == null || mgmtToken.isBlank())) {
            throw new IllegalArgumentException("management on " + mgmt
                    + " is reachable from other hosts: set --mgmt-token (or bind it to 127.0.0.1)");
        }
        if (dispatcherSet < 0) {
            throw new IllegalArgumentException("dispatcher set must be >= 1 (0 = none)");
        }
        io.siprelay.dispatcher.Algorithm.of(dispatcherAlgorithm);
        if (probeInterval < 0 || probeTimeout < 1 || probingThreshold < 1 || inactiveThreshold < 1
                || probingMode < 0 || probingMode > 3) {
            throw new IllegalArgumentException("probing: interval >= 0, timeout >= 1, thresholds >= 1, mode 0..3");
        }
        digestAlgorithmList();
        if (floodDensity < 0 || floodWindow < 1 || floodBlock < 1) {
            throw new IllegalArgumentException("flood detection: density >= 0 (0 = off), window >= 1 s, block >= 1 s");
        }
        if (scannerUserAgents == null || scannerUserAgents.stream().anyMatch(p -> p == null || p.isBlank())) {
            throw new IllegalArgumentException("scanner User-Agent patterns must not be empty");
        }
        io.siprelay.core.blocks.Nat.Test.of(natTests);
        if (natPingInterval < 0 || natPingMaxPerSecond < 1) {
            throw new IllegalArgumentException("NAT keep-alive: interval >= 0 s (0 = off), max per second >= 1");
        }
        if (shutdownGrace < 0) {
            throw new IllegalArgumentException("shutdown grace must be >= 0");
        }
        rtpEngineBuilder();
        mediaFlags();
        if (mediaNatOnly() && hasMediaRelay() && natTests == 0) {
            throw new IllegalArgumentException("rtpengine mode 'nat' needs NAT detection: --nat-tests must not be 0");
        }
    }

    private static int parsePort(String s, String whole) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in " + whole);
        }
    }

    private static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** One listener: {@code udp:127.0.0.1:5060}, {@code tls:[::1]:5061}. */
    public record ListenSpec(String proto, String host, int port) {

        public static ListenSpec parse(String s) {
            int first = s.indexOf(':');
            int last = s.lastIndexOf(':');
            if (first < 0 || last == first) {
                throw new IllegalArgumentException("listen address must be proto:host:port, got " + s);
            }
            String proto = s.substring(0, first).toLowerCase(Locale.ROOT);
            if (!List.of("udp", "tcp", "tls", "ws", "wss").contains(proto)) {
                throw new IllegalArgumentException("listen protocol must be udp, tcp, tls, ws or wss, got " + s);
            }
            return new ListenSpec(proto, unbracket(s.substring(first + 1, last)), parsePort(s.substring(last + 1), s));
        }
    }
}
