package io.siprelay.media;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One rtpengine daemon of a set (Kamailio's {@code rtpengine_sock} entry): where it listens for ng commands, its
 * weight in {@link RtpEngine#select}, whether it is in use, and counters for monitoring. State changes are made by
 * the owning {@link RtpEngine}; this object only reports them.
 */
public final class RtpEngineInstance {

    static final int ENABLED = 0;
    static final int DISABLED = 1;
    static final int OPERATOR_DISABLED = 2;

    private final String url;
    private final InetSocketAddress address;
    private final int weight;
    final AtomicInteger state = new AtomicInteger(ENABLED);
    /** Bumped on every state change; a scheduled probe of an older epoch does nothing. */
    final AtomicInteger epoch = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder errors = new LongAdder();

    RtpEngineInstance(InetSocketAddress address, int weight) {
        this(url(address.getHostString(), address.getPort()), address, weight);
    }

    private RtpEngineInstance(String url, InetSocketAddress address, int weight) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve rtpengine host " + address.getHostString());
        }
        if (weight < 1) {
            throw new IllegalArgumentException("rtpengine weight must be at least 1: " + weight);
        }
        this.url = url;
        this.address = address;
        this.weight = weight;
    }

    /** A fresh, enabled instance with the same address and weight, for each client built from one builder. */
    RtpEngineInstance copy() {
        return new RtpEngineInstance(url, address, weight);
    }

    /**
     * Parses {@code udp:HOST:PORT[=WEIGHT]} (also {@code udp6:}, or no scheme; IPv6 hosts in brackets) and resolves
     * the host.
     *
     * @throws IllegalArgumentException naming the spec and what is wrong with it
     */
    static RtpEngineInstance parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        int weight = 1;
        int eq = s.lastIndexOf('=');
        if (eq >= 0) {
            try {
                weight = Integer.parseInt(s.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw bad(spec, "the weight is not a number");
            }
            if (weight < 1) {
                throw bad(spec, "the weight must be at least 1");
            }
            s = s.substring(0, eq).trim();
        }
        String[] hostPort = hostPort(s, spec);
        InetSocketAddress address = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        if (address.isUnresolved()) {
            throw bad(spec, "cannot resolve " + hostPort[0]);
        }
        return new RtpEngineInstance(url(hostPort[0], address.getPort()), address, weight);
    }

    /** The url an instance spec (weight ignored) is known by, without resolving it; null if it does not parse. */
    static String canonicalUrl(String spec) {
        String s = spec.trim();
        int eq = s.lastIndexOf('=');
        try {
            String[] hostPort = hostPort(eq >= 0 ? s.substring(0, eq).trim() : s, spec);
            return url(hostPort[0], Integer.parseInt(hostPort[1]));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code [udp:|udp6:]HOST:PORT} → {host, port}, the port checked to be 1-65535. */
    private static String[] hostPort(String s, String spec) {
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("udp6:")) {
            s = s.substring(5);
        } else if (lower.startsWith("udp:")) {
            s = s.substring(4);
        } else {
            int first = s.indexOf(':');
            if (first > 0 && s.indexOf(':', first + 1) > 0 && !s.contains("[")
                    && s.substring(0, first).chars().allMatch(Character::isLetter)) {
                throw bad(spec, "transport " + s.substring(0, first) + " is not supported, only udp");
            }
        }
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw bad(spec, "expected [IPv6]:PORT");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0 || s.indexOf(':') != colon) {
                throw bad(spec, "expected HOST:PORT (IPv6 as [addr]:PORT)");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw bad(spec, "the host is empty");
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw bad(spec, "the port is not a number");
        }
        if (p < 1 || p > 65535) {
            throw bad(spec, "the port is out of range");
        }
        return new String[] {host, Integer.toString(p)};
    }

    private static String url(String host, int port) {
        return host.indexOf(':') >= 0 ? "udp:[" + host + "]:" + port : "udp:" + host + ":" + port;
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad rtpengine instance '" + spec + "': " + why
                + " (expected udp:HOST:PORT or udp:HOST:PORT=WEIGHT)");
    }

    /** Where the instance was configured, e.g. {@code udp:127.0.0.1:2223}; its identity in logs and lookups. */
    public String url() {
        return url;
    }

    /** The resolved ng control address. */
    public InetSocketAddress address() {
        return address;
    }

    /** Relative share of calls in {@link RtpEngine#select}; at least 1. */
    public int weight() {
        return weight;
    }

    /** Whether {@link RtpEngine#select} may choose it: not after a timeout (until a probe succeeds) or by operator. */
    public boolean isEnabled() {
        return state.get() == ENABLED;
    }

    /** Whether an operator took it out with {@link RtpEngine#setEnabled}; such an instance is not probed. */
    public boolean isDisabledByOperator() {
        return state.get() == OPERATOR_DISABLED;
    }

    /** Commands sent to it (probes included, retransmissions not). */
    public long requests() {
        return requests.sum();
    }

    /** Commands that got no reply after every retry. */
    public long timeouts() {
        return timeouts.sum();
    }

    /** Commands answered with {@code error} or {@code load limit}, or that could not be sent. */
    public long errors() {
        return errors.sum();
    }

    @Override
    public String toString() {
        int s = state.get();
        String st = s == ENABLED ? "enabled" : s == DISABLED ? "disabled" : "disabled-by-operator";
        return url + " weight=" + weight + " " + st + " requests=" + requests() + " timeouts=" + timeouts()
                + " errors=" + errors();
    }
}
