package io.siprelay.core.transport;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Self-signed test certificates made with the JDK's keytool at test time (nothing secret is checked in). */
public final class TestCertificates {

    public static final char[] PASSWORD = "changeit".toCharArray();

    private TestCertificates() {
    }

    /** A PKCS12 key store in {@code dir} with an EC P-256 key for CN=localhost, SAN 127.0.0.1 and localhost. */
    public static Path selfSigned(Path dir) throws IOException, InterruptedException {
        Path keyStore = dir.resolve("siprelay-test.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "siprelay", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("keytool did not finish in 20 s");
        }
        String output = new String(p.getInputStream().readAllBytes(), US_ASCII);
        if (p.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        return keyStore;
    }
}
