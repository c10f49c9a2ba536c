package io.siprelay.core.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits and socket settings shared by the network transports. Immutable; build with {@link #builder()} or take
 * {@link #defaults()}.
 *
 * @param receiveBufferBytes SO_RCVBUF requested for the UDP socket (the OS may grant less)
 * @param maxDatagramBytes   largest datagram received or sent over UDP; larger inbound datagrams are truncated
 * @param maxConnections     most open TCP connections (inbound and outbound together); accepts beyond it are closed
 *                           at once, outbound sends beyond it fail
 * @param idleTimeout        a TCP connection with no traffic in either direction for this long is closed
 * @param connectTimeout     an outbound TCP connect still pending after this long is abandoned
 * @param maxHeaderBytes     largest header section (start line to the blank line) on a stream
 * @param maxMessageBytes    largest whole message (header section and body) on a stream
 * @param maxWriteQueueBytes most bytes queued for one TCP connection; a send beyond it fails
 * @param udpReaders         threads for each UDP socket: one receives and runs a message's work itself when its lane
 *                           is idle; another takes over the socket when that one has been busy 10 ms (a route
 *                           waiting on a database), so this many blocked routes hold up the socket
 */
public record TransportOptions(
        int receiveBufferBytes,
        int maxDatagramBytes,
        int maxConnections,
        Duration idleTimeout,
        Duration connectTimeout,
        int maxHeaderBytes,
        int maxMessageBytes,
        int maxWriteQueueBytes,
        int udpReaders) {

    public static final int DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
    public static final int DEFAULT_MAX_DATAGRAM_BYTES = 65_535;
    public static final int DEFAULT_MAX_CONNECTIONS = 4_096;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_HEADER_BYTES = 32 * 1024;
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 65_535;
    public static final int DEFAULT_MAX_WRITE_QUEUE_BYTES = 1024 * 1024;
    public static final int DEFAULT_UDP_READERS = 4;

    public TransportOptions {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        requireAtLeast("receiveBufferBytes", receiveBufferBytes, 1024);
        requireAtLeast("maxDatagramBytes", maxDatagramBytes, 512);
        if (maxDatagramBytes > 65_535) {
            throw new IllegalArgumentException("maxDatagramBytes above 65535: " + maxDatagramBytes);
        }
        requireAtLeast("maxConnections", maxConnections, 1);
        requireAtLeast("maxHeaderBytes", maxHeaderBytes, 64);
        requireAtLeast("maxMessageBytes", maxMessageBytes, maxHeaderBytes);
        requireAtLeast("maxWriteQueueBytes", maxWriteQueueBytes, maxMessageBytes);
        requireAtLeast("udpReaders", udpReaders, 1);
        if (idleTimeout.isNegative() || idleTimeout.isZero() || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive: idle " + idleTimeout + ", connect "
                    + connectTimeout);
        }
    }

    private static void requireAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ": " + value);
        }
    }

    public static TransportOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .receiveBufferBytes(receiveBufferBytes)
                .maxDatagramBytes(maxDatagramBytes)
                .maxConnections(maxConnections)
                .idleTimeout(idleTimeout)
                .connectTimeout(connectTimeout)
                .maxHeaderBytes(maxHeaderBytes)
                .maxMessageBytes(maxMessageBytes)
                .maxWriteQueueBytes(maxWriteQueueBytes)
                .udpReaders(udpReaders);
    }

    /** Starts from the defaults; every setter overrides one value. */
    public static final class Builder {
        private int receiveBufferBytes = DEFAULT_RECEIVE_BUFFER_BYTES;
        private int maxDatagramBytes = DEFAULT_MAX_DATAGRAM_BYTES;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private int maxWriteQueueBytes = DEFAULT_MAX_WRITE_QUEUE_BYTES;
        private int udpReaders = DEFAULT_UDP_READERS;

        private Builder() {
        }

        public Builder receiveBufferBytes(int value) {
            this.receiveBufferBytes = value;
            return this;
        }

        public Builder maxDatagramBytes(int value) {
            this.maxDatagramBytes = value;
            return this;
        }

        public Builder maxConnections(int value) {
            this.maxConnections = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            this.idleTimeout = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        public Builder maxHeaderBytes(int value) {
            this.maxHeaderBytes = value;
            return this;
        }

        public Builder maxMessageBytes(int value) {
            this.maxMessageBytes = value;
            return this;
        }

        public Builder maxWriteQueueBytes(int value) {
            this.maxWriteQueueBytes = value;
            return this;
        }

        public Builder udpReaders(int value) {
            this.udpReaders = value;
            return this;
        }

        public TransportOptions build() {
            return new TransportOptions(receiveBufferBytes, maxDatagramBytes, maxConnections, idleTimeout,
                    connectTimeout, maxHeaderBytes, maxMessageBytes, maxWriteQueueBytes, udpReaders);
        }
    }
}
