package io.siprelay.core.transport;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS configuration of a {@link TlsTransport}, set in code. Immutable; build with {@link #builder()},
 * {@link #fromKeyStore(Path, char[])} or {@link #fromKeyStore(KeyStore, char[])}.
 *
 * <p>The peer's certificate chain is always validated against the trust store (the JDK's default trust store when
 * none is given). What is checked beyond the chain for outbound connections is {@link HostnameVerification}.
 *
 * @param context                  makes the per-connection SSLEngines; its key managers give our certificate (needed
 *                                 to accept connections), its trust managers judge the peer's
 * @param protocols                enabled protocol versions, most preferred first
 * @param requireClientCertificate accepted connections must present a certificate the trust store accepts
 * @param hostnameVerification     how outbound connections check the server certificate against the target
 */
public record TlsSettings(
        SSLContext context,
        List<String> protocols,
        boolean requireClientCertificate,
        HostnameVerification hostnameVerification) {

    /** TLSv1.3 and TLSv1.2. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** What an outbound connection checks of the server certificate besides its chain. */
    public enum HostnameVerification {
        /** Nothing: any certificate the trust store accepts will do. */
        NONE,
        /**
         * The default: a target given by host name (an {@link java.net.InetSocketAddress} with a host name, as for
         * {@code sips:} URIs resolved from a domain) must be named by the certificate (HTTPS rules: subjectAltName
         * DNS entries); a target given by IP address is not checked.
         */
        HOST_NAMES,
        /** Host names as {@link #HOST_NAMES}, and an IP target must appear as an IP subjectAltName. */
        ALWAYS
    }

    public TlsSettings {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(hostnameVerification, "hostnameVerification");
        protocols = List.copyOf(protocols);
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("no TLS protocol enabled");
        }
        List<String> supported = Arrays.asList(context.getSupportedSSLParameters().getProtocols());
        for (String p : protocols) {
            if (!supported.contains(p)) {
                throw new IllegalArgumentException("protocol " + p + " not supported by the SSLContext (" + supported
                        + ")");
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding the key store at {@code path} (type detected: PKCS12 or JKS) as our identity. */
    public static Builder fromKeyStore(Path path, char[] password) throws IOException, GeneralSecurityException {
        return builder().keyStore(path, password);
    }

    /** A builder holding {@code keyStore} as our identity; {@code password} opens its private key. */
    public static Builder fromKeyStore(KeyStore keyStore, char[] password) throws GeneralSecurityException {
        return builder().keyStore(keyStore, password);
    }

    /** Loads a key store or trust store file (type detected: PKCS12 or JKS). */
    public static KeyStore load(Path path, char[] password) throws IOException, GeneralSecurityException {
        Objects.requireNonNull(path, "path");
        return KeyStore.getInstance(path.toFile(), password);
    }

    /**
     * Starts with no identity (a client-only transport: inbound handshakes fail), the JDK's default trust store,
     * {@link #DEFAULT_PROTOCOLS}, no client certificates required and {@link HostnameVerification#HOST_NAMES}.
     */
    public static final class Builder {
        private SSLContext context;
        private KeyManager[] keyManagers;
        private TrustManager[] trustManagers;
        private List<String> protocols = DEFAULT_PROTOCOLS;
        private boolean requireClientCertificate;
        private HostnameVerification hostnameVerification = HostnameVerification.HOST_NAMES;

        private Builder() {
        }

        /** Uses a ready SSLContext; key and trust stores given to this builder are then ignored. */
        public Builder sslContext(SSLContext value) {
            this.context = Objects.requireNonNull(value, "sslContext");
            return this;
        }

        public Builder keyStore(KeyStore keyStore, char[] password) throws GeneralSecurityException {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(Objects.requireNonNull(keyStore, "keyStore"), password);
            this.keyManagers = kmf.getKeyManagers();
            return this;
        }

        public Builder keyStore(Path path, char[] password) throws IOException, GeneralSecurityException {
            return keyStore(load(path, password), password);
        }

        /** The certificates trusted to sign a peer's chain (instead of the JDK's default trust store). */
        public Builder trustStore(KeyStore trustStore) throws GeneralSecurityException {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(Objects.requireNonNull(trustStore, "trustStore"));
            this.trustManagers = tmf.getTrustManagers();
            return this;
        }

        public Builder trustStore(Path path, char[] password) throws IOException, GeneralSecurityException {
            return trustStore(load(path, password));
        }

        public Builder protocols(String... values) {
            this.protocols = List.of(values);
            return this;
        }

        public Builder requireClientCertificate(boolean value) {
            this.requireClientCertificate = value;
            return this;
        }

        public Builder hostnameVerification(HostnameVerification value) {
            this.hostnameVerification = Objects.requireNonNull(value, "hostnameVerification");
            return this;
        }

        public TlsSettings build() throws GeneralSecurityException {
            SSLContext ctx = context;
            if (ctx == null) {
                ctx = SSLContext.getInstance("TLS");
                ctx.init(keyManagers, trustManagers, null);
            }
            return new TlsSettings(ctx, protocols, requireClientCertificate, hostnameVerification);
        }
    }
}
