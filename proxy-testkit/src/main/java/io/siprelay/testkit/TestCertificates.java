package io.siprelay.testkit;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for TLS tests, made with the JDK's {@code keytool} at test time, so nothing secret is
 * checked in. The key store suits {@link io.siprelay.core.transport.TlsSettings#fromKeyStore} as key store and, for a
 * loopback test, as trust store too:
 *
 * <pre>{@code
 * Path p12 = TestCertificates.selfSigned(tempDir);
 * TlsSettings tls = TlsSettings.fromKeyStore(p12, TestCertificates.PASSWORD)
 *         .trustStore(TlsSettings.load(p12, TestCertificates.PASSWORD)).build();
 * }</pre>
 */
public final class TestCertificates {

    public static final char[] PASSWORD = "changeit".toCharArray();

    private TestCertificates() {
    }

    /**
     * Writes {@code siprelay-test.p12} into {@code dir}: a PKCS12 key store (password {@link #PASSWORD}, alias
     * {@code siprelay}) with an EC P-256 key and a self-signed certificate for CN=localhost, SAN 127.0.0.1 and
     * localhost, valid for two days.
     *
     * @throws IOException when keytool fails or takes more than 20 s
     */
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
