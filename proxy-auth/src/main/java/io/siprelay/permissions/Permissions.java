package io.siprelay.permissions;

import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.TxKey;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IP permissions by address group: Kamailio's {@code permissions} module ({@code address} table or file).
 *
 * <pre>{@code
 * Permissions perms = Permissions.load(AddressSource.file(Path.of("address.list")));
 * // or Permissions.load(JdbcAddressStore.open(...))
 *
 * Route carrier = ctx -> {
 *     if (perms.allowSource(ctx, 200)) {        // allow_source_address("200")
 *         String tag = perms.tag(ctx);           // the matching entry's tag (peer_tag_avp)
 *         return ctx.relay();
 *     }
 *     return Step.next();
 * };
 * int group = perms.groupOf("10.0.0.7", 5060);   // allow_address_group(): -1 when none
 * ReloadResult r = perms.reload();                // permissions.addressReload
 * }</pre>
 *
 * <p>Entries are held in an immutable, indexed snapshot (a hash lookup per prefix length in use, longest prefix
 * first), so a lookup costs the same for ten entries or ten thousand. {@link #reload()} loads and validates the new
 * data completely before swapping the snapshot in with one volatile write: a lookup sees the old data or the new,
 * never a mix; a failed reload keeps the old data and says why. Reloads are serialised; lookups never wait for them.
 */
public final class Permissions {

    private static final Logger LOG = LoggerFactory.getLogger(Permissions.class);
    private static final TxKey<AddressEntry> MATCH = TxKey.of("siprelay.permissions.match", AddressEntry.class);

    private final AddressSource source;
    private volatile AddressTable table;
    private final Object reloadLock = new Object();

    private Permissions(AddressSource source, AddressTable table) {
        this.source = source;
        this.table = table;
    }

    /**
     * Loads the entries of {@code source}.
     *
     * @throws IllegalStateException when the source fails or holds an invalid entry (start-up should fail loudly)
     */
    public static Permissions load(AddressSource source) {
        Objects.requireNonNull(source, "source");
        try {
            return new Permissions(source, AddressTable.build(source.load()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot load address permissions: " + e.getMessage(), e);
        }
    }

    /** A fixed set of entries (reload keeps them). */
    public static Permissions of(List<AddressEntry> entries) {
        return load(AddressSource.of(entries));
    }

    // ---------------------------------------------------------------- route helpers

    /**
     * {@code allow_source_address(group)}: whether the request's source IP and port ({@code $si}, {@code $sp}) match
     * an entry of {@code group}. The matching entry's tag is then available through {@link #tag(RequestContext)}.
     */
    public boolean allowSource(RequestContext ctx, int group) {
        AddressEntry e = table.find(ctx.sourceIp(), ctx.sourcePort(), group);
        if (e != null) {
            ctx.set(MATCH, e);
        }
        return e != null;
    }

    /**
     * {@code allow_source_address_group()}: the group of the most specific entry matching the request's source, or
     * -1. Sets the tag like {@link #allowSource}.
     */
    public int sourceGroup(RequestContext ctx) {
        AddressEntry e = table.find(ctx.sourceIp(), ctx.sourcePort(), -1);
        if (e == null) {
            return -1;
        }
        ctx.set(MATCH, e);
        return e.group();
    }

    /** The tag of the entry that the last successful {@code allowSource}/{@code sourceGroup} matched, or null. */
    public String tag(RequestContext ctx) {
        AddressEntry e = ctx.get(MATCH);
        return e == null ? null : e.tag();
    }

    /** The entry that the last successful {@code allowSource}/{@code sourceGroup} of this request matched, or null. */
    public AddressEntry matched(RequestContext ctx) {
        return ctx.get(MATCH);
    }

    // ---------------------------------------------------------------- plain lookups

    /** {@code allow_address(group, ip, port)}: whether ip:port matches an entry of {@code group}. */
    public boolean allow(int group, String ip, int port) {
        return table.find(ip, port, group) != null;
    }

    /** {@code allow_address_group(ip, port)}: the group of the most specific matching entry, or -1. */
    public int groupOf(String ip, int port) {
        AddressEntry e = table.find(ip, port, -1);
        return e == null ? -1 : e.group();
    }

    /** The most specific entry for ip:port in {@code group}. */
    public Optional<AddressEntry> match(int group, String ip, int port) {
        return Optional.ofNullable(table.find(ip, port, group));
    }

    /** The most specific entry for ip:port in any group. */
    public Optional<AddressEntry> match(String ip, int port) {
        return Optional.ofNullable(table.find(ip, port, -1));
    }

    // ---------------------------------------------------------------- management

    /** {@code permissions.addressDump}: the entries in use, in load order. */
    public List<AddressEntry> entries() {
        return table.entries();
    }

    public int size() {
        return table.entries().size();
    }

    /**
     * {@code permissions.addressReload}: loads the source again, validates and indexes it, then swaps it in
     * atomically. On any failure the data in use stays as it was and the result says why. Safe to call from several
     * threads at once (reloads run one after the other).
     */
    public ReloadResult reload() {
        synchronized (reloadLock) {
            AddressTable fresh;
            try {
                fresh = AddressTable.build(source.load());
            } catch (Exception | StackOverflowError e) {
                String why = e.getMessage() == null ? e.toString() : e.getMessage();
                LOG.warn("address reload failed, keeping {} entries: {}", size(), why);
                return new ReloadResult(false, size(), why);
            }
            table = fresh;
            LOG.info("address reload: {} entries", fresh.entries().size());
            return new ReloadResult(true, fresh.entries().size(), null);
        }
    }
}
