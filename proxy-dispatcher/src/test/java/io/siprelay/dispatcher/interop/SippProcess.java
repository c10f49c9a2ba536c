package io.siprelay.dispatcher.interop;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A compact, bounded SIPp runner for this module's interop tests (UDP only, like proxy-auth's): copies the scenario
 * into {@code target/sipp-runs/...}, starts {@code sipp} as a child process with {@code -trace_stat} and
 * {@code -trace_counts} dumped every second, and reads the last rows of both CSVs. Every process has SIPp's own
 * {@code -timeout} and a wall-clock limit on this side, and {@link #close()} always ends it.
 */
final class SippProcess implements AutoCloseable {

    private final Process process;
    private final List<String> command;
    private final Path dir;
    private final Path stat;
    private final Duration wallClock;
    private final long startNanos = System.nanoTime();
    private volatile boolean killed;

    private SippProcess(Process process, List<String> command, Path dir, Path stat, Duration wallClock) {
        this.process = process;
        this.command = command;
        this.dir = dir;
        this.stat = stat;
        this.wallClock = wallClock;
    }

    static void assumeInstalled() {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d.isEmpty() ? "." : d, "sipp")));
        if (!found && (System.getenv("SIPRELAY_INTEROP") != null || System.getenv("SIPRELAY_ALL_EXTERNAL") != null)) {
            throw new AssertionError("sipp is not on PATH but the interop tests are required (SIPRELAY_INTEROP)");
        }
        Assumptions.assumeTrue(found, "sipp is not on PATH (Debian package sip-tester)");
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return d.getLocalPort();
        }
    }

    /**
     * Starts SIPp on 127.0.0.1:{@code localPort}.
     *
     * @param target    remote host:port for a caller, null for a callee
     * @param sippArgs  the rest ({@code -m}, {@code -r}, {@code -l}, {@code -buff_size}...)
     * @param wallClock SIPp's {@code -timeout}; this side destroys it 10 s later
     */
    static SippProcess start(String scenarioResource, int localPort, InetSocketAddress target, Duration wallClock,
                             String... sippArgs) throws IOException {
        Path base = Files.createDirectories(Path.of("target", "sipp-runs"));
        Path dir = Files.createTempDirectory(base, "sipp-").toAbsolutePath();
        Path scenario = dir.resolve(Path.of(scenarioResource).getFileName().toString());
        try (InputStream in = SippProcess.class.getResourceAsStream(scenarioResource)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + scenarioResource);
            }
            Files.copy(in, scenario, StandardCopyOption.REPLACE_EXISTING);
        }
        Path stat = dir.resolve("stat.csv");
        List<String> cmd = new ArrayList<>(List.of("sipp", "-sf", scenario.toString(), "-t", "u1",
                "-i", "127.0.0.1", "-p", Integer.toString(localPort),
                "-timeout", wallClock.toSeconds() + "s", "-nostdin",
                "-trace_stat", "-stf", stat.toString(), "-fd", "1", "-trace_counts",
                "-trace_err", "-error_file", dir.resolve("errors.log").toString()));
        cmd.addAll(Arrays.asList(sippArgs));
        if (target != null) {
            cmd.add(target.getAddress().getHostAddress() + ":" + target.getPort());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(dir.resolve("stdout.log").toFile()).redirectError(dir.resolve("stderr.log").toFile());
        pb.environment().put("TERM", "dumb");
        return new SippProcess(pb.start(), cmd, dir, stat, wallClock);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for SIPp to end by itself, destroying it after the wall-clock limit. Returns the exit code. */
    int await() throws InterruptedException {
        long left = wallClock.toMillis() + 10_000 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        if (!process.waitFor(Math.max(0, left), TimeUnit.MILLISECONDS)) {
            killed = true;
            close();
        }
        return process.isAlive() ? Integer.MIN_VALUE : process.exitValue();
    }

    /** SIGKILL: a gateway that crashes (no BYE, no answer, nothing more in its CSVs). */
    void crash() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    boolean killed() {
        return killed;
    }

    /** The last row of the {@code -trace_stat} CSV, header name to value; cumulative counters end in (C). */
    Map<String, String> stats() throws IOException {
        return lastRow(stat);
    }

    long counter(String name) throws IOException {
        String v = stats().get(name + "(C)");
        return v == null || v.isEmpty() ? -1 : Long.parseLong(v);
    }

    /** The last row of the {@code -trace_counts} CSV (per scenario message: {@code 5_BYE_Recv} etc.). */
    Map<String, String> counts() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            Path counts = s.filter(p -> p.getFileName().toString().endsWith("_counts.csv")).findFirst().orElse(null);
            return counts == null ? Map.of() : lastRow(counts);
        }
    }

    /** The count of one scenario message, by the end of its column name (e.g. {@code _BYE_Recv}); -1 when absent. */
    long count(String suffix) throws IOException {
        for (Map.Entry<String, String> e : counts().entrySet()) {
            if (e.getKey().endsWith(suffix) && !e.getValue().isEmpty()) {
                return Long.parseLong(e.getValue());
            }
        }
        return -1;
    }

    /**
     * Calls this callee answered to the end: the 200 to the BYE sent, the message right after {@code n_BYE_Recv} in
     * the gateway scenario.
     */
    long answeredCalls() throws IOException {
        Map<String, String> c = counts();
        for (String k : c.keySet()) {
            if (k.endsWith("_BYE_Recv")) {
                int n = Integer.parseInt(k.substring(0, k.indexOf('_')));
                String v = c.get((n + 1) + "_200_Sent");
                return v == null || v.isEmpty() ? -1 : Long.parseLong(v);
            }
        }
        return -1;
    }

    private static Map<String, String> lastRow(Path csv) throws IOException {
        Map<String, String> row = new LinkedHashMap<>();
        if (!Files.exists(csv)) {
            return row;
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.ISO_8859_1).stream()
                .filter(l -> !l.isBlank()).toList();
        if (lines.size() >= 2) {
            String[] names = lines.get(0).split(";", -1);
            String[] values = lines.get(lines.size() - 1).split(";", -1);
            for (int i = 0; i < Math.min(names.length, values.length); i++) {
                row.put(names[i].trim(), values[i].trim());
            }
        }
        return row;
    }

    String diagnostics() {
        String errors = read(dir.resolve("errors.log")) + read(dir.resolve("stderr.log"));
        if (errors.length() > 3000) {
            errors = "..." + errors.substring(errors.length() - 3000);
        }
        String stats;
        try {
            stats = stats().toString();
        } catch (IOException e) {
            stats = e.toString();
        }
        return "command: " + String.join(" ", command) + "\ndir: " + dir + (killed ? "\n(destroyed at wall clock)" : "")
                + "\nstats: " + stats + "\nerrors:\n" + errors;
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(3, TimeUnit.SECONDS);
            }
        }
    }
}
