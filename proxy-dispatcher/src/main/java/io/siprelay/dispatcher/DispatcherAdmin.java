package io.siprelay.dispatcher;

import io.siprelay.core.codec.SipCodec;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The only writer of the loaded table: validation and the swap are serialized here, readers never lock. */
final class DispatcherAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class); // log category unchanged

    private final Dispatcher owner;
    private final DispatcherSource source;
    private final SipCodec codec;
    private final Dispatcher.Resolver resolver;
    private final CallLoad callLoad;
    private final Object writeLock = new Object();

    DispatcherAdmin(Dispatcher owner, DispatcherSource source, SipCodec codec, Dispatcher.Resolver resolver,
                    CallLoad callLoad) {
        this.owner = owner;
        this.source = source;
        this.codec = codec;
        this.resolver = resolver;
        this.callLoad = callLoad;
    }

    /** {@link Dispatcher#reload}. */
    int reload() {
        List<DispatcherEntry> entries;
        try {
            entries = source.load();
        } catch (Exception e) {
            throw new DispatcherReloadException("dispatcher reload refused: cannot read the source: " + e.getMessage(),
                    null, e);
        }
        synchronized (writeLock) {
            Snapshot next = build(entries, owner.snapshot);
            owner.snapshot = next;
            LOG.info("dispatcher loaded {} destinations in {} sets", entries.size(), next.sets.size());
            return entries.size();
        }
    }

    /** {@link Dispatcher#add}. */
    DispatcherEntry add(DispatcherEntry entry) {
        synchronized (writeLock) {
            List<DispatcherEntry> all = new ArrayList<>(owner.snapshot.entries);
            all.add(entry);
            Snapshot next = build(all, owner.snapshot); // validate before storing
            DispatcherEntry stored = entry;
            try {
                stored = source.insert(entry);
                all.set(all.size() - 1, stored);
                next = build(all, owner.snapshot);
            } catch (UnsupportedOperationException e) {
                LOG.info("dispatcher source is read-only: {} is kept in memory only", entry.label());
            } catch (Exception e) {
                throw new DispatcherReloadException("cannot store " + entry.label() + ": " + e.getMessage(), entry, e);
            }
            owner.snapshot = next;
            return stored;
        }
    }

    /** {@link Dispatcher#remove}. */
    int remove(int setId, String destination) {
        synchronized (writeLock) {
            List<DispatcherEntry> all = new ArrayList<>();
            int n = 0;
            for (DispatcherEntry e : owner.snapshot.entries) {
                if (e.setId() == setId && e.destination().equals(destination)) {
                    n++;
                } else {
                    all.add(e);
                }
            }
            if (n == 0) {
                return 0;
            }
            try {
                source.delete(setId, destination);
            } catch (UnsupportedOperationException e) {
                LOG.info("dispatcher source is read-only: removal of {} is in memory only", destination);
            } catch (Exception e) {
                throw new DispatcherReloadException("cannot delete set " + setId + " destination " + destination
                        + ": " + e.getMessage(), null, e);
            }
            owner.snapshot = build(all, owner.snapshot);
            return n;
        }
    }

    private Snapshot build(List<DispatcherEntry> entries, Snapshot old) {
        Map<Integer, List<Destination>> bySet = new LinkedHashMap<>();
        for (DispatcherEntry e : entries) {
            Destination d = validate(e, old);
            bySet.computeIfAbsent(e.setId(), k -> new ArrayList<>()).add(d);
        }
        Map<Integer, DsSet> sets = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<Destination>> s : bySet.entrySet()) {
            List<Destination> ds = s.getValue();
            ds.sort(Comparator.comparingInt(Destination::priority).reversed()); // stable: ties keep source order
            sets.put(s.getKey(), new DsSet(s.getKey(), List.copyOf(ds)));
        }
        return new Snapshot(List.copyOf(entries), Map.copyOf(sets));
    }

    private Destination validate(DispatcherEntry e, Snapshot old) {
        URI u;
        try {
            u = codec.addressFactory().createURI(e.destination());
        } catch (ParseException | RuntimeException ex) {
            throw refuse(e, "bad URI: " + ex.getMessage(), ex);
        }
        if (!(u instanceof SipURI s) || s.getHost() == null || s.getHost().isEmpty()) {
            throw refuse(e, "not a sip: or sips: URI with a host", null);
        }
        if (e.attrs().weight() < 0 || e.attrs().rweight() < 0) {
            throw refuse(e, "negative weight", null);
        }
        InetAddress addr = null;
        if ((e.flags() & DsFlags.NODNS) == 0) {
            try {
                addr = resolver.resolve(s.getHost());
            } catch (UnknownHostException ex) {
                throw refuse(e, "unresolvable host " + s.getHost(), ex);
            }
        }
        Destination prev = old.find(e.setId(), e.destination());
        Health h;
        if (prev != null) {
            h = prev.health();
            h.reconfigure(e.flags());
        } else {
            h = new Health(e.flags(), e.attrs().initialLatency());
        }
        return new Destination(e, s.getHost(), Math.max(0, s.getPort()), addr, h);
    }

    private static DispatcherReloadException refuse(DispatcherEntry e, String why, Throwable cause) {
        return new DispatcherReloadException("dispatcher reload refused: " + e.label() + ": " + why, e, cause);
    }

    /** {@link Dispatcher#list}. */
    DispatcherList list() {
        Snapshot s = owner.snapshot;
        List<DispatcherList.Record> records = new ArrayList<>();
        List<Integer> ids = new ArrayList<>(s.sets.keySet());
        ids.sort(null);
        for (int id : ids) {
            List<DispatcherList.Target> targets = new ArrayList<>();
            for (Destination d : s.sets.get(id).dests) {
                Attrs a = d.attrs();
                DispatcherList.DestAttrs attrs = a.all().isEmpty() ? null : new DispatcherList.DestAttrs(a.body(),
                        a.duid(), a.maxload(), a.weight(), a.rweight(), a.socket(), a.pingFrom());
                LatencyStats l = d.latency();
                AtomicInteger load = callLoad.counter(d.duid());
                targets.add(new DispatcherList.Target(new DispatcherList.Dest(d.uri(), d.state(), d.priority(), attrs,
                        new DispatcherList.Latency(round(l.avg()), round(l.std()), round(l.est()), l.max(),
                                l.timeout()),
                        load == null ? null : new DispatcherList.Runtime(load.get()))));
            }
            records.add(new DispatcherList.Record(new DispatcherList.Set(id, List.copyOf(targets))));
        }
        return new DispatcherList(ids.size(), List.copyOf(records));
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
