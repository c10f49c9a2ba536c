package io.siprelay.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransportOptionsTest {

    @Test
    void defaults() {
        TransportOptions o = TransportOptions.defaults();
        assertThat(o.receiveBufferBytes()).isEqualTo(4 * 1024 * 1024);
        assertThat(o.maxDatagramBytes()).isEqualTo(65_535);
        assertThat(o.idleTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(o.maxMessageBytes()).isEqualTo(65_535);
        assertThat(o.maxHeaderBytes()).isLessThanOrEqualTo(o.maxMessageBytes());
        assertThat(o.maxWriteQueueBytes()).isGreaterThanOrEqualTo(o.maxMessageBytes());
    }

    @Test
    void builderOverridesOneValueAndToBuilderRoundTrips() {
        TransportOptions o = TransportOptions.builder().maxConnections(7).idleTimeout(Duration.ofMillis(300)).build();
        assertThat(o.maxConnections()).isEqualTo(7);
        assertThat(o.idleTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(o.maxMessageBytes()).isEqualTo(TransportOptions.DEFAULT_MAX_MESSAGE_BYTES);
        assertThat(o.toBuilder().build()).isEqualTo(o);
    }

    @Test
    void rejectsInconsistentLimits() {
        assertThatThrownBy(() -> TransportOptions.builder().maxConnections(0).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransportOptions.builder().maxHeaderBytes(70_000).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransportOptions.builder().maxDatagramBytes(70_000).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransportOptions.builder().idleTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransportOptions.builder().maxWriteQueueBytes(1000).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
