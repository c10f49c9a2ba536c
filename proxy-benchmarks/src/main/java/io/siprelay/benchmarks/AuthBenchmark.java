package io.siprelay.benchmarks;

import io.siprelay.auth.Digest;
import io.siprelay.auth.DigestAlgorithm;
import io.siprelay.permissions.AddressEntry;
import io.siprelay.permissions.Permissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Digest verification (HA1 known, as from the subscriber table: compute the expected response, compare in constant
 * time) for MD5 and SHA-256, and a permission lookup among 10,000 address entries.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AuthBenchmark {

    @Param({"MD5", "SHA_256"})
    public String algorithm;

    private DigestAlgorithm alg;
    private String ha1;
    private String sent;
    private Permissions permissions;
    private final String[] probes = new String[1024];
    private int next;

    @Setup
    public void setUp() {
        alg = DigestAlgorithm.valueOf(algorithm);
        ha1 = Digest.ha1(alg, "1001", "pbx.example.com", "s3cret-passw0rd");
        sent = Digest.response(alg, ha1, "bm9uY2UtMTIzNDU2Nzg5MA", "00000001", "0a4f113b", "auth", "REGISTER",
                "sip:pbx.example.com", null);
        List<AddressEntry> entries = new ArrayList<>();
        for (int i = 0; i < 9_000; i++) {
            entries.add(new AddressEntry(200 + i % 7, "10." + (i >> 8 & 255) + "." + (i & 255) + ".1", 32, 5060,
                    "host" + i));
        }
        for (int i = 0; i < 1_000; i++) {
            entries.add(new AddressEntry(300, "172.16." + (i & 255) + ".0", 24, 0, "net" + i));
        }
        permissions = Permissions.of(entries);
        java.util.Random r = new java.util.Random(42);
        for (int i = 0; i < probes.length; i++) {
            probes[i] = r.nextBoolean() ? "10." + r.nextInt(36) + "." + r.nextInt(256) + ".1"
                    : "172.16." + r.nextInt(256) + "." + r.nextInt(256);
        }
    }

    @Benchmark
    public boolean digestVerify() {
        String expected = Digest.response(alg, ha1, "bm9uY2UtMTIzNDU2Nzg5MA", "00000001", "0a4f113b", "auth",
                "REGISTER", "sip:pbx.example.com", null);
        return Digest.constantTimeEquals(expected, sent);
    }

    @Benchmark
    public int permissionLookup10k() {
        return permissions.groupOf(probes[next++ & (probes.length - 1)], 5060);
    }
}
