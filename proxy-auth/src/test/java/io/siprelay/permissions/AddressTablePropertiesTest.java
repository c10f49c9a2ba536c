package io.siprelay.permissions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The indexed lookup gives the same answer as a plain scan of the entries by longest prefix, then list order. */
class AddressTablePropertiesTest {

    @Property(tries = 300)
    void indexAgreesWithLinearScan(@ForAll("entries") List<AddressEntry> entries, @ForAll("probes") List<int[]> probes) {
        Permissions p = Permissions.of(entries);
        for (int[] probe : probes) {
            String ip = "10.0." + probe[0] + "." + probe[1];
            int port = probe[2];
            for (int group = -1; group <= 3; group++) {
                AddressEntry expected = scan(entries, probe, port, group);
                AddressEntry got = group < 0 ? p.match(ip, port).orElse(null) : p.match(group, ip, port).orElse(null);
                assertThat(got).as("%s:%d group %d in %s", ip, port, group, entries).isEqualTo(expected);
            }
        }
    }

    private static AddressEntry scan(List<AddressEntry> entries, int[] probe, int port, int group) {
        long addr = (10L << 24) | ((long) probe[0] << 8) | probe[1];
        AddressEntry best = null;
        int bestLen = -1;
        for (AddressEntry e : entries) {
            String[] o = e.ip().split("\\.");
            long ea = (Long.parseLong(o[0]) << 24) | (Long.parseLong(o[1]) << 16) | (Long.parseLong(o[2]) << 8)
                    | Long.parseLong(o[3]);
            int len = e.prefixLength();
            long mask = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
            boolean hit = (ea & mask) == (addr & mask) && (group < 0 || e.group() == group)
                    && (e.port() == 0 || e.port() == port);
            if (hit && len > bestLen) {
                best = e;
                bestLen = len;
            }
        }
        return best;
    }

    @Provide
    Arbitrary<List<AddressEntry>> entries() {
        Arbitrary<AddressEntry> e = Combinators.combine(
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 255),
                Arbitraries.of(0, 8, 16, 20, 24, 30, 32),
                Arbitraries.of(0, 0, 5060, 5061)).as((g, c, d, m, port) ->
                new AddressEntry(g, "10.0." + c + "." + d, m, port, "e" + g + c + d + m + port));
        return e.list().ofMinSize(0).ofMaxSize(40).map(ArrayList::new);
    }

    @Provide
    Arbitrary<List<int[]>> probes() {
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 255),
                Arbitraries.of(5060, 5061, 1)).as((c, d, port) -> new int[] {c, d, port}).list().ofSize(20);
    }
}
