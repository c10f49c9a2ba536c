package io.siprelay.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs SIPp (Debian package {@code sip-tester}) as a child process on 127.0.0.1 for interop tests, always bounded
 * in time: SIPp gets its own {@code -timeout}, and this side destroys the process (TERM, then KILL) when the
 * wall-clock limit passes.
 *
 * <p>A run is either in the foreground ({@link #run()}) or in the background ({@link #start()}): a callee that must
 * listen before the caller starts, or a "gateway" that a test kills halfway ({@link Running#kill()}). Every run gets
 * a fresh directory ({@code target/sipp-runs/sipp-*} under Maven) with the scenario, SIPp's CSVs and logs, kept for
 * inspection. SIPp dumps its {@code -trace_stat} (cumulative counters) and {@code -trace_counts} (messages per
 * scenario step) CSVs every second, so a running process can be read too ({@link Running#stats()},
 * {@link Running#counts()}).
 *
 * <p>The {@link Result} carries SIPp's exit code (0: all calls succeeded, 1: at least one failed, 97/99/255/254:
 * internal exit, no calls, fatal error, bind error), the last rows of both CSVs, so a test can assert exact
 * numbers, and {@link Result#diagnostics()} for assertion messages.
 *
 * <pre>{@code
 * Sipp.assumeInstalled();
 * Sipp.Result r = Sipp.scenario("/sipp/options.xml").transport(Sipp.Transport.UDP).target(proxyAddress)
 *         .calls(1000).rate(500).limit(200).run();
 * assertThat(r.successfulCalls()).as(r.diagnostics()).isEqualTo(1000);
 *
 * // a callee in the background, ended by the test
 * try (Sipp.Running uas = Sipp.scenario("/sipp/uas.xml").localPort(port).calls(0).start()) {
 *     uas.awaitListening(Duration.ofSeconds(10));
 *     ...
 * }
 * }</pre>
 *
 * <p>Shared scenarios on this module's class path: {@code /sipp/uac_rr.xml} (a caller: INVITE, ACK and BYE through a
 * record-routing proxy, following the Route set).
 */
public final class Sipp {

    /** SIPp transport modes used here: one socket each. */
    public enum Transport {
        UDP("u1"),
        TCP("t1"),
        /** Only in SIPp builds linked with OpenSSL (see {@link #tlsSupport()}); needs -tls_cert/-tls_key. */
        TLS("l1");

        final String flag;

        Transport(String flag) {
            this.flag = flag;
        }
    }

    /** The executable name looked up on PATH. */
    public static final String EXECUTABLE = "sipp";

    private final String scenarioResource;
    private Transport transport = Transport.UDP;
    private InetSocketAddress target;
    private int calls = 1;
    private int rate = 10;
    private int limit = 100;
    private Duration globalTimeout = Duration.ofSeconds(60);
    private Duration recvTimeout = Duration.ofMillis(5000);
    private Duration wallClockLimit;
    private final List<String> extraArgs = new ArrayList<>();
    private int localPort;
    private Path injectionFile;

    private Sipp(String scenarioResource) {
        this.scenarioResource = scenarioResource;
    }

    /** A run of the scenario stored as a class-path resource (e.g. {@code /sipp/options.xml}). */
    public static Sipp scenario(String classpathResource) {
        return new Sipp(Objects.requireNonNull(classpathResource));
    }

    public Sipp transport(Transport t) {
        this.transport = Objects.requireNonNull(t);
        return this;
    }

    /**
     * The proxy's address (SIPp's remote host). A caller needs it; a callee may go without (it answers whoever sends
     * to its {@link #localPort(int) port}).
     */
    public Sipp target(InetSocketAddress proxy) {
        this.target = Objects.requireNonNull(proxy);
        return this;
    }

    /** {@code -m}: stop after this many calls (default 1); 0: no {@code -m}, run until stopped or timed out. */
    public Sipp calls(int n) {
        this.calls = n;
        return this;
    }

    /** {@code -r}: calls per second. */
    public Sipp rate(int cps) {
        this.rate = cps;
        return this;
    }

    /** {@code -l}: maximum simultaneous calls (default 100; a callee refuses calls beyond it); 0: SIPp's default. */
    public Sipp limit(int n) {
        this.limit = n;
        return this;
    }

    /** {@code -timeout} (with {@code -timeout_error}): SIPp's own global limit. */
    public Sipp globalTimeout(Duration d) {
        this.globalTimeout = d;
        return this;
    }

    /** {@code -recv_timeout}: a call waiting longer than this for the expected message fails. */
    public Sipp recvTimeout(Duration d) {
        this.recvTimeout = d;
        return this;
    }

    /**
     * Wall-clock bound for the child process, counted from its start; after it SIPp is destroyed and the result says
     * so. Default: the {@link #globalTimeout(Duration) global timeout} plus 15 s.
     */
    public Sipp wallClockLimit(Duration d) {
        this.wallClockLimit = d;
        return this;
    }

    /** {@code -p}: SIPp's own port (a UAS must be known to the proxy's route before it starts); default: a free one. */
    public Sipp localPort(int port) {
        this.localPort = port;
        return this;
    }

    /**
     * {@code -inf}: the injection file (CSV, first line {@code SEQUENTIAL}, {@code RANDOM} or {@code USER}) whose
     * fields the scenario reads as {@code [field0]}, {@code [field1]}..., e.g. users and their passwords.
     */
    public Sipp injectionFile(Path csv) {
        this.injectionFile = csv.toAbsolutePath();
        return this;
    }

    /** Further SIPp arguments (e.g. {@code -buff_size}, {@code -tls_cert}), appended before the remote host. */
    public Sipp extraArgs(String... args) {
        Collections.addAll(extraArgs, args);
        return this;
    }

    /** Whether an executable {@code sipp} is on PATH. */
    public static boolean installed() {
        return SippProcesses.findOnPath().isPresent();
    }

    /**
     * Skips the calling test when SIPp is missing; but when {@code SIPRELAY_INTEROP} is set (CI) a missing SIPp is
     * a failure, so the interop tests cannot silently vanish there.
     */
    public static void assumeInstalled() {
        if (installed()) {
            return;
        }
        String msg = "SIPp ('" + EXECUTABLE + "') is not on PATH; install the Debian package sip-tester to run the"
                + " interop tests";
        if (System.getenv("SIPRELAY_INTEROP") != null || System.getenv("SIPRELAY_ALL_EXTERNAL") != null) {
            throw new AssertionError(msg + " (SIPRELAY_INTEROP or SIPRELAY_ALL_EXTERNAL is set: not skipped)");
        }
        Assumptions.assumeTrue(false, msg);
    }

    /** Runs SIPp to completion (or until the wall-clock limit) and collects its results. */
    public Result run() throws IOException, InterruptedException {
        return start().await();
    }

    /**
     * Starts SIPp in the background (e.g. a UAS that must be listening before the UAC starts). The caller ends it
     * with {@link Running#await()}, {@link Running#stop(Duration)}, {@link Running#kill()} or
     * {@link Running#close()} (e.g. in try-with-resources or an {@code @AfterEach}).
     */
    public Running start() throws IOException {
        SippRunFiles files = SippRunFiles.create(scenarioResource);
        int port = localPort > 0 ? localPort : freeLocalPort();

        List<String> cmd = SippCommandLine.build(files, transport, port, rate, globalTimeout, recvTimeout, calls, limit,
                injectionFile, extraArgs, target);
        ProcessBuilder pb = SippProcesses.builder(cmd, files);
        long t0 = System.nanoTime();
        Process p = pb.start();
        Duration wallClock = wallClockLimit != null ? wallClockLimit : globalTimeout.plusSeconds(15);
        return new Running(p, cmd, transport, port, files, t0, wallClock);
    }

    /**
     * A SIPp process started by {@link #start()}. Its counters can be read while it runs; {@link #close()} ends it
     * if nothing else did.
     */
    public static final class Running implements AutoCloseable {
        private final Process process;
        private final List<String> command;
        private final Transport transport;
        private final int localPort;
        private final SippRunFiles files;
        private final long startNanos;
        private final Duration wallClockLimit;

        Running(Process process, List<String> command, Transport transport, int localPort, SippRunFiles files,
                long startNanos, Duration wallClockLimit) {
            this.process = process;
            this.command = command;
            this.transport = transport;
            this.localPort = localPort;
            this.files = files;
            this.startNanos = startNanos;
            this.wallClockLimit = wallClockLimit;
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        /** SIPp's port on 127.0.0.1 ({@code -p}). */
        public int localPort() {
            return localPort;
        }

        /** This run's directory: scenario, CSVs, logs. */
        public Path workDir() {
            return files.dir();
        }

        /**
         * Waits until SIPp holds its port (for UDP the datagram socket, else the listening socket), so that a
         * callee gets the first request; fails with the diagnostics when SIPp exits first or {@code limit} passes.
         */
        public void awaitListening(Duration limit) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError("SIPp exited at start:\n" + stop(Duration.ZERO).diagnostics());
                }
                if (SippPorts.portTaken(transport, localPort)) {
                    return;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("SIPp did not bind port " + localPort + " within " + limit.toMillis() + " ms");
        }

        /** The last {@code -trace_stat} row written so far (every second and at exit): header name to value. */
        public Map<String, String> stats() throws IOException {
            return SippCsv.lastStatLine(files.stat());
        }

        /** A cumulative counter as of the last dump, read like {@link Result#counter(String)}; -1 if absent. */
        public long counter(String name) throws IOException {
            return SippCsv.counter(stats(), name);
        }

        /** The last {@code -trace_counts} row written so far: per scenario step, e.g. {@code 5_BYE_Recv}. */
        public Map<String, String> counts() throws IOException {
            return SippCsv.lastCountsLine(files.dir());
        }

        /** A {@code -trace_counts} column as of the last dump, read like {@link Result#count(String)}. */
        public long count(String suffix) throws IOException {
            return SippCsv.count(counts(), suffix);
        }

        /** Waits for SIPp to exit, at most until the wall-clock limit counted from the start; then destroys it. */
        public Result await() throws IOException, InterruptedException {
            long left = wallClockLimit.toNanos() - (System.nanoTime() - startNanos);
            boolean timedOut = !process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (timedOut) {
                SippProcesses.destroy(process);
            }
            return collect(timedOut);
        }

        /**
         * Waits at most {@code grace} for SIPp to exit on its own, then stops it (TERM, then KILL); the result says
         * timedOut when it had to be stopped.
         */
        public Result stop(Duration grace) throws IOException, InterruptedException {
            boolean timedOut = !process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
            if (timedOut) {
                SippProcesses.destroy(process);
            }
            return collect(timedOut);
        }

        /**
         * SIGKILL at once, as a crash: no BYE, no answer, nothing more in its CSVs (the result holds what was dumped
         * before). Its exit code is then 137.
         */
        public Result kill() throws IOException, InterruptedException {
            SippProcesses.kill(process);
            return collect(false);
        }

        /** Ends SIPp (TERM, then KILL) if it still runs; for cleanup, where the result does not matter. */
        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                SippProcesses.destroy(process);
            }
        }

        private Result collect(boolean timedOut) throws IOException {
            Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
            int exit = process.isAlive() ? Integer.MIN_VALUE : process.exitValue();
            return new Result(command, files.dir(), exit, timedOut, elapsed, SippCsv.lastStatLine(files.stat()),
                    SippCsv.lastCountsLine(files.dir()), SippRunFiles.readQuietly(files.errors()),
                    SippRunFiles.readQuietly(files.screen()), SippRunFiles.readQuietly(files.stdout()),
                    SippRunFiles.readQuietly(files.stderr()));
        }
    }

    /**
     * Whether this SIPp can do TLS: an empty Optional when it can, else the evidence why not. Debian's sip-tester
     * 3.6.1 is built without OpenSSL: its {@code -h} lists no {@code l1} transport and no {@code -tls_cert}, and
     * {@code -t l1} exits 1 with "To use a TLS transport you must compile SIPp with OpenSSL".
     */
    public static Optional<String> tlsUnsupportedReason() throws IOException, InterruptedException {
        return SippProcesses.tlsUnsupportedReason();
    }

    /**
     * A port free for both UDP and TCP on 127.0.0.1 right now (SIPp binds it for either transport): for a callee
     * whose address the proxy's route must know before it starts.
     */
    public static int freeLocalPort() throws IOException {
        return SippPorts.freeLocalPort();
    }

    /** The outcome of one SIPp run. */
    public record Result(
            List<String> command,
            Path workDir,
            int exitCode,
            boolean timedOut,
            Duration elapsed,
            Map<String, String> finalStats,
            Map<String, String> finalCounts,
            String errorLog,
            String screen,
            String stdout,
            String stderr) {

        /**
         * A cumulative counter, e.g. {@code counter("SuccessfulCall")} reads {@code SuccessfulCall(C)}; columns
         * without a (P)/(C) pair such as {@code TotalCallCreated} are read as they are; -1 if absent.
         */
        public long counter(String name) {
            return SippCsv.counter(finalStats, name);
        }

        /**
         * A {@code -trace_counts} column by the end of its name, e.g. {@code count("_OPTIONS_Recv")} reads
         * {@code 2_OPTIONS_Recv} (the first such column); -1 if absent.
         */
        public long count(String suffix) {
            return SippCsv.count(finalCounts, suffix);
        }

        /** The non-zero cumulative {@code Failed*} counters but {@code FailedCall}: why calls failed. */
        public Map<String, Long> failureKinds() {
            return SippCsv.failureKinds(finalStats);
        }

        public long successfulCalls() {
            return counter("SuccessfulCall");
        }

        public long failedCalls() {
            return counter("FailedCall");
        }

        public long retransmissions() {
            return counter("Retransmissions");
        }

        /** Calls failed because a message came that the scenario did not expect at that point. */
        public long unexpectedMessages() {
            return counter("FailedUnexpectedMessage");
        }

        /** Messages that matched no call (e.g. a retransmission after the call ended), and calls ended early. */
        public long outOfCallMessages() {
            return counter("OutOfCallMsgs");
        }

        public long deadCallMessages() {
            return counter("DeadCallMsgs");
        }

        public long totalCallsCreated() {
            return counter("TotalCallCreated");
        }

        /** Successful calls per second of wall-clock time. */
        public double callsPerSecond() {
            return successfulCalls() * 1e9 / Math.max(1, elapsed.toNanos());
        }

        /** One line for the test log. */
        public String summary(String label) {
            return String.format(java.util.Locale.ROOT,
                    "SIPp %s: exit=%d calls=%d successful=%d failed=%d retransmissions=%d elapsed=%d ms rate=%.1f calls/s",
                    label, exitCode, totalCallsCreated(), successfulCalls(), failedCalls(), retransmissions(),
                    elapsed.toMillis(), callsPerSecond());
        }

        /** Everything useful for an assertion message. */
        public String diagnostics() {
            StringBuilder b = new StringBuilder();
            b.append("command: ").append(String.join(" ", command)).append('\n');
            b.append("work dir: ").append(workDir).append('\n');
            b.append("exit code: ").append(exitCode).append(timedOut ? " (destroyed after wall-clock limit)" : "")
                    .append('\n');
            b.append("final stats: ").append(finalStats).append('\n');
            append(b, "stderr", stderr);
            append(b, "errors", errorLog);
            append(b, "screen", screen);
            return b.toString();
        }

        private static void append(StringBuilder b, String name, String text) {
            if (text == null || text.isBlank()) {
                return;
            }
            String t = text.length() > 4000 ? "..." + text.substring(text.length() - 4000) : text;
            b.append("--- ").append(name).append(" ---\n").append(t).append('\n');
        }
    }
}
