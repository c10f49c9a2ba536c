package io.siprelay.registrar.bench;

import io.siprelay.core.clock.VirtualClock;
import io.siprelay.registrar.store.Binding;
import io.siprelay.registrar.store.MemoryLocationStore;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures the heap the in-memory location store takes for 100,000 AoRs (one realistic binding each, then three):
 * used heap after full GCs, before and after filling the store. Not a unit test: run it as a program.
 *
 * <pre>
 * mvn -q -B -pl proxy-registrar test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * java -Xmx1g -cp proxy-registrar/target/test-classes:proxy-registrar/target/classes:$(cat proxy-registrar/target/cp.txt) \
 *     io.siprelay.registrar.bench.HeapFor100kAors
 * </pre>
 */
public final class HeapFor100kAors {

    private HeapFor100kAors() {
    }

    public static void main(String[] args) throws Exception {
        int aors = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        for (int contactsPerAor : new int[] {1, 3}) {
            VirtualClock clock = new VirtualClock();
            long before = usedAfterGc();
            MemoryLocationStore store = fill(clock, aors, contactsPerAor);
            long after = usedAfterGc();
            long bytes = after - before;
            System.out.printf("%,d AoRs x %d contact(s): %,.1f MB heap, %,d bytes per AoR (%d AoRs held)%n", aors,
                    contactsPerAor, bytes / 1048576.0, bytes / aors, store.aorCount());
            store.close();
        }
    }

    static MemoryLocationStore fill(VirtualClock clock, int aors, int contactsPerAor) {
        MemoryLocationStore store = new MemoryLocationStore(clock);
        long now = clock.wallMillis();
        for (int i = 0; i < aors; i++) {
            String aor = "user" + i + "@example.com";
            List<Binding> bindings = new ArrayList<>(contactsPerAor);
            for (int c = 0; c < contactsPerAor; c++) {
                // strings built fresh per binding, as parsing a REGISTER makes them
                String ip = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
                bindings.add(new Binding("uloc-5f3a2b-" + Long.toHexString(now / 1000) + "-" + Integer.toHexString(i * 4 + c),
                        aor, "sip:user" + i + "@" + ip + ":" + (5060 + c) + ";transport=udp", null, null,
                        now + 3_600_000L, 1.0f, "a84b4c76e66710-" + i + "-" + c + "@" + ip, 1 + c, now, 0, 0,
                        new String("Linphone/5.2.0 (belle-sip/5.2.0)"), new String("udp:192.0.2.1:5060"), null, null,
                        0));
            }
            store.update(aor, now, cur -> bindings);
        }
        return store;
    }

    static long usedAfterGc() throws InterruptedException {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return mx.getHeapMemoryUsage().getUsed();
    }
}
