package io.siprelay.permissions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reload while traffic flows: lookup threads hammer the table during 100 reloads (some of them failing, some
 * concurrent). Version {@code v} of the data holds 2,000 entries all tagged {@code v}, and the probed address is in
 * every version, so each answer names the version it came from: it must exist, and no thread may ever see an older
 * version after a newer one (the swap is atomic; old and new data never mix).
 */
class PermissionsReloadTest {

    static List<AddressEntry> version(int v) {
        List<AddressEntry> l = new ArrayList<>(2000);
        String tag = "v" + v;
        l.add(new AddressEntry(200, "10.0.0.0", 8, 0, tag));
        for (int i = 0; i < 1999; i++) {
            l.add(new AddressEntry(v % 2 == 0 ? 200 : 201, "172.16." + (i / 250) + "." + (i % 250), 0, 0, tag));
        }
        return l;
    }

    @Test
    @Timeout(60)
    void hundredReloadsUnderLoad() throws Exception {
        AtomicInteger next = new AtomicInteger(0);
        AtomicInteger published = new AtomicInteger(0);
        AtomicInteger failures = new AtomicInteger();
        Permissions p = Permissions.load(() -> {
            int v = next.getAndIncrement();
            if (v > 0 && v % 10 == 0) {
                failures.incrementAndGet();
                throw new IllegalStateException("simulated failure of version " + v);
            }
            return version(v);
        });

        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong lookups = new AtomicLong();
        int threads = 4;
        CountDownLatch started = new CountDownLatch(threads);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                int lastSeen = -1;
                started.countDown();
                while (!stop.get()) {
                    try {
                        AddressEntry e = p.match(200, "10.1.2.3", 5060).orElse(null);
                        if (e == null) {
                            errors.add("no match");
                            continue;
                        }
                        int v = Integer.parseInt(e.tag().substring(1));
                        if (v < lastSeen) {
                            errors.add("went back from v" + lastSeen + " to v" + v);
                        }
                        if (v >= next.get() || v % 10 == 0 && v > 0) { // not loaded yet, or a failed load
                            errors.add("saw a version never published: v" + v);
                        }
                        // group of the hosts flips between versions; any answer is fine, it must not throw
                        p.groupOf("172.16.3.7", 1);
                        lastSeen = v;
                        lookups.incrementAndGet();
                    } catch (RuntimeException ex) {
                        errors.add(ex.toString());
                    }
                }
            }, "lookup-" + t);
            th.start();
            workers.add(th);
        }
        started.await();
        // 100 reloads from two threads at once
        Thread other = new Thread(() -> {
            for (int i = 0; i < 50; i++) {
                reloadAndPublish(p, published);
            }
        });
        other.start();
        for (int i = 0; i < 50; i++) {
            reloadAndPublish(p, published);
        }
        other.join();
        stop.set(true);
        for (Thread th : workers) {
            th.join();
        }
        assertThat(errors).isEmpty();
        assertThat(failures.get()).isEqualTo(10);
        assertThat(next.get()).isEqualTo(101);
        assertThat(lookups.get()).isGreaterThan(100);
        assertThat(p.size()).isEqualTo(2000);
        System.out.printf("reload test: %d lookups during 100 reloads (10 failed on purpose)%n", lookups.get());
    }

    private static void reloadAndPublish(Permissions p, AtomicInteger published) {
        ReloadResult r = p.reload();
        if (r.ok()) {
            int v = Integer.parseInt(p.entries().get(0).tag().substring(1));
            published.accumulateAndGet(v, Math::max);
        } else {
            assertThat(r.error()).contains("simulated failure");
        }
    }
}
