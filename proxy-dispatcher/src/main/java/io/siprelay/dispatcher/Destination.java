package io.siprelay.dispatcher;

import java.net.InetAddress;
import java.util.Objects;

/**
 * A destination of a loaded set: its configured {@link DispatcherEntry}, the address it resolved to at load, and its
 * runtime health ({@link #state()}, latency, call load). The runtime part survives reloads for as long as the same
 * set keeps the same URI.
 */
public final class Destination {

    private final DispatcherEntry entry;
    private final String host;
    private final int port;
    private final InetAddress address;
    private final Health health;
    final long hashSeed;

    Destination(DispatcherEntry entry, String host, int port, InetAddress address, Health health) {
        this.entry = Objects.requireNonNull(entry);
        this.host = host;
        this.port = port;
        this.address = address;
        this.health = health;
        this.hashSeed = Hashing.hash64(entry.destination());
    }

    public DispatcherEntry entry() {
        return entry;
    }

    public int setId() {
        return entry.setId();
    }

    /** The destination URI. */
    public String uri() {
        return entry.destination();
    }

    public int priority() {
        return entry.priority();
    }

    public Attrs attrs() {
        return entry.attrs();
    }

    /** Host of the URI. */
    public String host() {
        return host;
    }

    /** Port of the URI, or 0 when it has none. */
    public int port() {
        return port;
    }

    /** The address the host resolved to at load, or null (flag 16, no DNS). */
    public InetAddress address() {
        return address;
    }

    /** Current flag bits ({@link DsFlags}). */
    public int flags() {
        return health.flags();
    }

    /** Kamailio's two letters: AP, AX, IP, TX, DX... */
    public String state() {
        return DsFlags.letters(health.flags());
    }

    /** Selectable: neither inactive nor disabled (trying destinations still are). */
    public boolean isUsable() {
        return (health.flags() & (DsFlags.INACTIVE | DsFlags.DISABLED)) == 0;
    }

    /** Ping latency statistics. */
    public LatencyStats latency() {
        return health.latency();
    }

    /** The call load key (algorithm 10): the {@code duid} attribute, else the URI. */
    public String duid() {
        String d = entry.attrs().duid();
        return d == null ? entry.destination() : d;
    }

    Health health() {
        return health;
    }

    @Override
    public String toString() {
        return entry.destination() + "[" + state() + "]";
    }
}
