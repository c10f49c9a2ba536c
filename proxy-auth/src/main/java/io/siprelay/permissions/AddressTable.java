package io.siprelay.permissions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An immutable index of address entries: per address family and prefix length, a hash map from the masked address
 * to the entries of that network. A lookup probes each prefix length in use, longest first, so its cost depends on
 * the number of distinct masks (at most 33 or 129), not on the number of entries.
 */
final class AddressTable {

    private record Key(long hi, long lo) {
    }

    private static final class Family {
        final int bits;
        final int[] lengths; // descending
        final Map<Key, AddressEntry[]>[] byLength;

        @SuppressWarnings("unchecked")
        Family(int bits, Map<Integer, Map<Key, List<AddressEntry>>> built) {
            this.bits = bits;
            TreeSet<Integer> ls = new TreeSet<>(built.keySet());
            this.lengths = ls.descendingSet().stream().mapToInt(Integer::intValue).toArray();
            this.byLength = new Map[bits + 1];
            for (var e : built.entrySet()) {
                Map<Key, AddressEntry[]> m = new HashMap<>(e.getValue().size() * 2);
                e.getValue().forEach((k, v) -> m.put(k, v.toArray(new AddressEntry[0])));
                byLength[e.getKey()] = m;
            }
        }
    }

    private final Family v4;
    private final Family v6;
    private final List<AddressEntry> entries;

    private AddressTable(Family v4, Family v6, List<AddressEntry> entries) {
        this.v4 = v4;
        this.v6 = v6;
        this.entries = entries;
    }

    static AddressTable build(List<AddressEntry> entries) {
        Map<Integer, Map<Key, List<AddressEntry>>> four = new HashMap<>();
        Map<Integer, Map<Key, List<AddressEntry>>> six = new HashMap<>();
        for (AddressEntry e : entries) {
            byte[] a = IpAddresses.parse(e.ip());
            int len = e.mask() == 0 ? a.length * 8 : e.mask();
            Map<Integer, Map<Key, List<AddressEntry>>> fam = a.length == 4 ? four : six;
            fam.computeIfAbsent(len, l -> new HashMap<>())
                    .computeIfAbsent(key(a, len), k -> new ArrayList<>(1)).add(e);
        }
        return new AddressTable(new Family(32, four), new Family(128, six), List.copyOf(entries));
    }

    List<AddressEntry> entries() {
        return entries;
    }

    /** The most specific entry matching ip and port (of {@code group}, or of any group when group &lt; 0). */
    AddressEntry find(String ip, int port, int group) {
        byte[] a = IpAddresses.parse(ip);
        if (a == null) {
            return null;
        }
        Family f = a.length == 4 ? v4 : v6;
        for (int len : f.lengths) {
            AddressEntry[] candidates = f.byLength[len].get(key(a, len));
            if (candidates == null) {
                continue;
            }
            for (AddressEntry e : candidates) {
                if ((group < 0 || e.group() == group) && (e.port() == 0 || e.port() == port)) {
                    return e;
                }
            }
        }
        return null;
    }

    private static Key key(byte[] a, int len) {
        long hi = 0;
        long lo = 0;
        if (a.length == 4) {
            long v = ((a[0] & 0xffL) << 24) | ((a[1] & 0xffL) << 16) | ((a[2] & 0xffL) << 8) | (a[3] & 0xffL);
            long mask = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
            return new Key(0, v & mask);
        }
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (a[i] & 0xffL);
            lo = (lo << 8) | (a[i + 8] & 0xffL);
        }
        long hiMask = len >= 64 ? -1L : (len == 0 ? 0 : -1L << (64 - len));
        long loMask = len <= 64 ? 0 : (len == 128 ? -1L : -1L << (128 - len));
        return new Key(hi & hiMask, lo & loMask);
    }
}
