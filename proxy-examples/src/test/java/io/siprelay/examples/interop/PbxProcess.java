package io.siprelay.examples.interop;

import io.siprelay.examples.ctl.SiprelayCtl;
import io.siprelay.examples.pbx.PbxMain;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The example PBX as a real child process: {@code java -cp <test class path> io.siprelay.examples.pbx.PbxMain}, the
 * main class of {@code siprelay-example.jar} (the shaded jar does not exist yet in the test phase of {@code mvn
 * verify}), and {@code siprelayctl} the same way ({@link SiprelayCtl}). Output goes to a log file under
 * {@code target/pbx-runs}, kept for inspection.
 */
final class PbxProcess implements AutoCloseable {

    /** The last line of the start-up banner. */
    static final String READY = "Ctrl-C or SIGTERM stops gracefully";

    private final List<String> args;
    private final Path log;
    private final Path dataDir;
    private final int sipPort;
    private final int mgmtPort;
    private Process process;

    private PbxProcess(List<String> args, Path log, Path dataDir, int sipPort, int mgmtPort) {
        this.args = args;
        this.log = log;
        this.dataDir = dataDir;
        this.sipPort = sipPort;
        this.mgmtPort = mgmtPort;
    }

    /** PBX on udp:127.0.0.1:sipPort with management on 127.0.0.1:mgmtPort, plus {@code extra}. */
    static PbxProcess create(String name, Path dataDir, int sipPort, int mgmtPort, String... extra)
            throws IOException {
        List<String> a = new ArrayList<>(List.of("-l", "udp:127.0.0.1:" + sipPort, "--data-dir", dataDir.toString(),
                "--mgmt", "127.0.0.1:" + mgmtPort, "--shutdown-grace", "1"));
        a.addAll(List.of(extra));
        Path dir = Files.createDirectories(Path.of("target", "pbx-runs"));
        Path log = dir.resolve(name + "-" + System.currentTimeMillis() + ".log").toAbsolutePath();
        return new PbxProcess(a, log, dataDir, sipPort, mgmtPort);
    }

    static List<String> javaCommand(Class<?> main) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), main.getName()));
    }

    /** Starts the process (appending to the same log on a restart) and waits for the banner. */
    PbxProcess start(Duration limit) throws IOException, InterruptedException {
        long from = Files.exists(log) ? Files.size(log) : 0;
        List<String> cmd = javaCommand(PbxMain.class);
        cmd.addAll(args);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (out.substring((int) Math.min(from, out.length())).contains(READY)) {
                return this;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("PBX exited with " + process.exitValue() + ":\n" + out);
            }
            Thread.sleep(100);
        }
        close();
        throw new IllegalStateException("no banner within " + limit + ":\n" + Files.readString(log));
    }

    /** SIGTERM (graceful: the shutdown hook closes the PBX), then SIGKILL after {@code grace}; the exit code. */
    int stop(Duration grace) throws InterruptedException {
        if (process == null) {
            return -1;
        }
        process.destroy();
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            stop(Duration.ofSeconds(10));
        }
    }

    InetSocketAddress sip() {
        return new InetSocketAddress("127.0.0.1", sipPort);
    }

    Path log() {
        return log;
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** {@code siprelayctl --data-dir DIR --mgmt-url URL args...} as a child process, bounded to 60 s. */
    Ctl ctl(String... ctlArgs) throws IOException, InterruptedException {
        List<String> cmd = javaCommand(SiprelayCtl.class);
        cmd.addAll(List.of("--data-dir", dataDir.toString(), "--mgmt-url", "http://127.0.0.1:" + mgmtPort + "/rpc"));
        cmd.addAll(List.of(ctlArgs));
        Path out = Files.createTempFile(log.getParent(), "ctl-", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        Ctl c = new Ctl(String.join(" ", ctlArgs), p.isAlive() ? -1 : p.exitValue(), text);
        System.out.println("$ siprelayctl " + c.command() + "   (exit " + c.exitCode() + ")\n" + text.stripTrailing());
        return c;
    }

    /** One siprelayctl run. */
    record Ctl(String command, int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        Ctl require() {
            if (!ok()) {
                throw new IllegalStateException("siprelayctl " + command + " exited " + exitCode + ": " + output);
            }
            return this;
        }
    }
}
