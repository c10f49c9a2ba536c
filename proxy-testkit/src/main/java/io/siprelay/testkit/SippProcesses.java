package io.siprelay.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** SIPp's child processes: finding the executable, launching it, probing its build, ending it (TERM, then KILL). */
final class SippProcesses {

    private SippProcesses() {
    }

    /** The executable {@link Sipp#EXECUTABLE} in the first PATH directory that has one. */
    static Optional<Path> findOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, Sipp.EXECUTABLE);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** A run's process, not yet started: in its work directory, stdin from /dev/null, output to its log files. */
    static ProcessBuilder builder(List<String> cmd, SippRunFiles files) {
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(files.dir().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(files.stdout().toFile())
                .redirectError(files.stderr().toFile());
        pb.environment().put("TERM", "dumb");
        return pb;
    }

    /** TERM to the process and its descendants; KILL after 5 s if it still runs. */
    static void destroy(Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** KILL to the process and its descendants at once, then waits at most 5 s for it to go. */
    static void kill(Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
    }

    /** See {@link Sipp#tlsUnsupportedReason()}: read from {@code sipp -h} and {@code sipp -v}. */
    static Optional<String> tlsUnsupportedReason() throws IOException, InterruptedException {
        String help = runQuick(Sipp.EXECUTABLE, "-h");
        String version = runQuick(Sipp.EXECUTABLE, "-v").lines().map(String::trim).filter(l -> l.startsWith("SIPp"))
                .findFirst().orElse("SIPp (version unknown)");
        if (help.contains("-tls_cert") && help.contains("l1")) {
            return Optional.empty();
        }
        return Optional.of(version + ": no TLS in this build ('sipp -h' lists neither '-t l1' nor"
                + " '-tls_cert'; SIPp needs to be compiled with OpenSSL for TLS)");
    }

    /** Runs a short command (e.g. {@code sipp -h}) and returns its stdout and stderr together. */
    private static String runQuick(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new String(out, StandardCharsets.ISO_8859_1);
    }
}
