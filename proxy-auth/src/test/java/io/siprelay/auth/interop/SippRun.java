package io.siprelay.auth.interop;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small, bounded SIPp runner for this module's interop tests (UDP only): copies the scenario and the injection
 * file into {@code target/sipp-runs/...}, runs {@code sipp} in the foreground with a wall-clock limit and reads the
 * last line of the {@code -trace_stat} CSV.
 */
final class SippRun {

    record Result(int exitCode, boolean timedOut, Duration elapsed, Map<String, String> stats, Path dir,
                  String errors, String command) {

        long counter(String name) {
            String v = stats.getOrDefault(name + "(C)", stats.get(name));
            return v == null || v.isEmpty() ? -1 : Long.parseLong(v);
        }

        String diagnostics() {
            String e = errors.length() > 4000 ? "..." + errors.substring(errors.length() - 4000) : errors;
            return "command: " + command + "\ndir: " + dir + "\nexit: " + exitCode + (timedOut ? " (killed)" : "")
                    + "\nstats: " + stats + "\nerrors:\n" + e;
        }
    }

    private SippRun() {
    }

    static void assumeInstalled() {
        boolean found = false;
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, "sipp");
            found |= Files.isExecutable(p);
        }
        if (!found && (System.getenv("SIPRELAY_INTEROP") != null || System.getenv("SIPRELAY_ALL_EXTERNAL") != null)) {
            throw new AssertionError("sipp is not on PATH but the interop tests are required (SIPRELAY_INTEROP)");
        }
        Assumptions.assumeTrue(found, "sipp is not on PATH (Debian package sip-tester)");
    }

    static Result run(String scenarioResource, String injectionCsv, InetSocketAddress target, int calls, int rate,
                      int limit, Duration wallClock) throws IOException, InterruptedException {
        Path base = Files.createDirectories(Path.of("target", "sipp-runs"));
        Path dir = Files.createTempDirectory(base, "sipp-").toAbsolutePath();
        Path scenario = dir.resolve(Path.of(scenarioResource).getFileName().toString());
        try (InputStream in = SippRun.class.getResourceAsStream(scenarioResource)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + scenarioResource);
            }
            Files.copy(in, scenario, StandardCopyOption.REPLACE_EXISTING);
        }
        Path users = dir.resolve("users.csv");
        Files.writeString(users, injectionCsv, StandardCharsets.ISO_8859_1);
        Path stat = dir.resolve("stat.csv");
        Path err = dir.resolve("errors.log");
        int port;
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = d.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of("sipp", "-sf", scenario.toString(), "-inf", users.toString(),
                "-t", "u1", "-i", "127.0.0.1", "-p", Integer.toString(port),
                "-m", Integer.toString(calls), "-r", Integer.toString(rate), "-l", Integer.toString(limit),
                "-timeout", wallClock.toSeconds() + "s", "-timeout_error", "-recv_timeout", "5000ms", "-nostdin",
                "-trace_stat", "-stf", stat.toString(), "-fd", "1", "-trace_err", "-error_file", err.toString(),
                target.getAddress().getHostAddress() + ":" + target.getPort()));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(dir.resolve("stdout.log").toFile()).redirectError(dir.resolve("stderr.log").toFile());
        pb.environment().put("TERM", "dumb");
        long t0 = System.nanoTime();
        Process p = pb.start();
        boolean killed = false;
        if (!p.waitFor(wallClock.toMillis() + 10_000, TimeUnit.MILLISECONDS)) {
            killed = true;
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        Map<String, String> stats = new LinkedHashMap<>();
        if (Files.exists(stat)) {
            List<String> lines = Files.readAllLines(stat, StandardCharsets.ISO_8859_1).stream()
                    .filter(l -> !l.isBlank()).toList();
            if (lines.size() >= 2) {
                String[] names = lines.get(0).split(";", -1);
                String[] values = lines.get(lines.size() - 1).split(";", -1);
                for (int i = 0; i < Math.min(names.length, values.length); i++) {
                    stats.put(names[i].trim(), values[i].trim());
                }
            }
        }
        String errors = (Files.exists(err) ? Files.readString(err, StandardCharsets.ISO_8859_1) : "")
                + Files.readString(dir.resolve("stderr.log"), StandardCharsets.ISO_8859_1);
        return new Result(p.isAlive() ? Integer.MIN_VALUE : p.exitValue(), killed, elapsed, stats, dir, errors,
                String.join(" ", cmd));
    }
}
