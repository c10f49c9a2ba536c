package io.siprelay.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real rtpengine daemon (Debian package {@code rtpengine-daemon}) for tests of media routes: started in the
 * foreground in userspace mode ({@code --table=-1}) on 127.0.0.1, with its ng port and a range of 100 media ports of
 * its own, ready once it answers an ng {@code ping}; stopped by {@link #close()} (TERM, then KILL). Deleted calls are
 * gone at once ({@code --delete-delay=0}) so a test can check {@code list} after a BYE.
 *
 * <pre>{@code
 * Assumptions.assumeTrue(RtpEngineProcess.isInstalled());
 * try (RtpEngineProcess rtpengine = RtpEngineProcess.start(Path.of("target"))) {
 *     RtpEngine ng = RtpEngine.builder().instance(rtpengine.ngSpec()).build();
 *     ...
 * }
 * }</pre>
 */
public final class RtpEngineProcess implements AutoCloseable {

    /** Where the Debian package puts the daemon. */
    public static final Path BINARY = Path.of("/usr/bin/rtpengine");

    private final Process process;
    private final int ngPort;
    private final int portMin;
    private final Path log;

    private RtpEngineProcess(Process process, int ngPort, int portMin, Path log) {
        this.process = process;
        this.ngPort = ngPort;
        this.portMin = portMin;
        this.log = log;
    }

    /** True when the daemon is installed here. */
    public static boolean isInstalled() {
        return Files.isExecutable(BINARY);
    }

    /**
     * Starts a daemon with its log and pid file in {@code dir}, and waits (up to 10 s) until it answers ping.
     *
     * @throws IllegalStateException when it exits or does not answer in time (the message names the log)
     */
    public static RtpEngineProcess start(Path dir) {
        try {
            Files.createDirectories(dir);
            int ngPort;
            try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                ngPort = probe.getLocalPort();
            }
            // media ports: a random block of 100 in 45,000-59,999, so runs side by side rarely share one
            int portMin = 45_000 + 100 * ThreadLocalRandom.current().nextInt(150);
            Path log = dir.resolve("rtpengine-" + ngPort + ".log").toAbsolutePath();
            Process p = new ProcessBuilder(BINARY.toString(), "--config-file=none", "--foreground", "--log-stderr",
                    "--table=-1", "--interface=127.0.0.1", "--listen-ng=127.0.0.1:" + ngPort,
                    "--port-min=" + portMin, "--port-max=" + (portMin + 99), "--delete-delay=0",
                    "--pidfile=" + dir.resolve("rtpengine-" + ngPort + ".pid").toAbsolutePath())
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            RtpEngineProcess r = new RtpEngineProcess(p, ngPort, portMin, log);
            r.awaitPing();
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + BINARY, e);
        }
    }

    private void awaitPing() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        byte[] ping = "probe d7:command4:pinge".getBytes(StandardCharsets.US_ASCII);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            s.setSoTimeout(100);
            byte[] buf = new byte[512];
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("rtpengine exited with " + process.exitValue() + ", see " + log);
                }
                s.send(new DatagramPacket(ping, ping.length, InetAddress.getLoopbackAddress(), ngPort));
                try {
                    DatagramPacket in = new DatagramPacket(buf, buf.length);
                    s.receive(in);
                    if (new String(buf, 0, in.getLength(), StandardCharsets.US_ASCII).contains("pong")) {
                        return;
                    }
                } catch (SocketTimeoutException e) {
                    // not up yet
                }
            }
        }
        close();
        throw new IllegalStateException("rtpengine did not answer ping within 10 s, see " + log);
    }

    /** The ng control address as {@code RtpEngine.Builder.instance} takes it: {@code udp:127.0.0.1:PORT}. */
    public String ngSpec() {
        return "udp:127.0.0.1:" + ngPort;
    }

    public int ngPort() {
        return ngPort;
    }

    /** Lowest media port it allocates. */
    public int portMin() {
        return portMin;
    }

    /** Highest media port it allocates. */
    public int portMax() {
        return portMin + 99;
    }

    /** Its log (stderr and stdout). */
    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
