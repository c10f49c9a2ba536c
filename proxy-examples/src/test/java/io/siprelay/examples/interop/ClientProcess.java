package io.siprelay.examples.interop;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real client (baresip, linphonec, ...) as a child process: commands go to its stdin, everything it prints goes to
 * a log file kept under {@code target/real-clients/} (with the client's own SIP trace where it has one), and checks
 * wait for lines to appear in that log. Terminal control codes and carriage returns are taken out before matching.
 */
final class ClientProcess implements AutoCloseable {

    private static final Pattern ANSI = Pattern.compile("\u001B\\[[;\\d]*[A-Za-z]");

    private final String name;
    private final Process process;
    private final Path log;
    private final OutputStream stdin;

    private ClientProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.stdin = process.getOutputStream();
    }

    /** Starts {@code command} in {@code dir} with extra environment variables; output to {@code dir/<name>.log}. */
    static ClientProcess start(String name, List<String> command, Path dir, Map<String, String> env)
            throws IOException {
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        pb.environment().put("TERM", "dumb");
        return new ClientProcess(name, pb.start(), log);
    }

    /** Writes one command line to the client's stdin. */
    void send(String line) throws IOException {
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** The log as plain text. */
    String output() throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        String raw = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        return ANSI.matcher(raw.replace('\r', '\n')).replaceAll("");
    }

    /** Where the log is now: pass it to {@link #await(String, int, Duration)} to wait for what comes after. */
    int mark() throws IOException {
        return output().length();
    }

    /** Waits until {@code text} appears in the log; returns the log; fails naming the client and the log. */
    String await(String text, Duration limit) throws IOException, InterruptedException {
        return await(text, 0, limit);
    }

    /** Waits until {@code text} appears in the log after position {@code from} (a {@link #mark()}). */
    String await(String text, int from, Duration limit) throws IOException, InterruptedException {
        return awaitMatch(Pattern.compile(Pattern.quote(text)), from, limit).group();
    }

    /** Waits for a regular expression after {@code from}; returns the match. */
    Matcher awaitMatch(Pattern p, int from, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            String out = output();
            Matcher m = p.matcher(out);
            if (m.find(Math.min(from, out.length()))) {
                return m;
            }
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited (" + process.exitValue() + ") before printing '"
                        + p.pattern() + "'; its log: " + log);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " did not print '" + p.pattern() + "' within " + limit.toSeconds()
                        + " s; its log: " + log);
            }
            Thread.sleep(100);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    /** Sends {@code quitCommand} (if any), waits a little, then ends the process. */
    void stop(String quitCommand) throws InterruptedException {
        if (process.isAlive() && quitCommand != null) {
            try {
                send(quitCommand);
            } catch (IOException ignored) {
                // gone already
            }
            process.waitFor(3, TimeUnit.SECONDS);
        }
        close();
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

    /** Runs a command to completion (bounded); its output goes to {@code dir/<name>.log}. */
    static Result run(String name, List<String> command, Path dir, Duration limit)
            throws IOException, InterruptedException {
        try (ClientProcess p = start(name, command, dir, Map.of())) {
            p.stdin.close();
            boolean done = p.process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.close();
            }
            return new Result(done ? p.process.exitValue() : -1, p.output(), p.log);
        }
    }

    /** A finished command: exit code (-1 when it ran out of time), its output and where it is kept. */
    record Result(int exitCode, String output, Path log) {
    }
}
