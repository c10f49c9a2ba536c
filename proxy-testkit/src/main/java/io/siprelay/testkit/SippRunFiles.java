package io.siprelay.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** One SIPp run's fresh work directory: the copied scenario and the CSVs and logs SIPp writes next to it. */
record SippRunFiles(Path dir, Path scenario, Path stat, Path errors, Path screen, Path stdout, Path stderr) {

    /** A fresh work directory with the class-path scenario copied into it under its own file name. */
    static SippRunFiles create(String scenarioResource) throws IOException {
        Path dir = workDirectory();
        String fileName = Path.of(scenarioResource).getFileName().toString();
        Path scenarioFile = dir.resolve(fileName);
        try (InputStream in = resource(scenarioResource)) {
            if (in == null) {
                throw new IllegalArgumentException("no such resource: " + scenarioResource);
            }
            Files.copy(in, scenarioFile, StandardCopyOption.REPLACE_EXISTING);
        }
        return new SippRunFiles(dir, scenarioFile, dir.resolve("stat.csv"), dir.resolve("errors.log"),
                dir.resolve("screen.log"), dir.resolve("stdout.log"), dir.resolve("stderr.log"));
    }

    private static InputStream resource(String name) {
        InputStream in = Sipp.class.getResourceAsStream(name);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (in == null && context != null) {
            in = context.getResourceAsStream(name.startsWith("/") ? name.substring(1) : name);
        }
        if (in == null) {
            throw new IllegalArgumentException("no such resource: " + name);
        }
        return in;
    }

    /**
     * A fresh directory for one run: under the module's {@code target/sipp-runs} when run from Maven (kept for
     * inspection, removed by {@code mvn clean}), else in the system temp directory.
     */
    private static Path workDirectory() throws IOException {
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Path base = Files.createDirectories(target.resolve("sipp-runs"));
            return Files.createTempDirectory(base, "sipp-").toAbsolutePath();
        }
        return Files.createTempDirectory("sipp-").toAbsolutePath();
    }

    /** A log's whole text, or "" when SIPp did not write it. */
    static String readQuietly(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
