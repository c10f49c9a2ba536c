package io.siprelay.media;

import io.siprelay.core.clock.SipClock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Something that carries ng commands for a call to an rtpengine: {@link RtpEngine} (a set of instances over UDP), or
 * a scripted stand-in in route tests.
 */
public interface NgClient {

    /**
     * Sends {@code command} (a dictionary with {@code "command"} and its keys) to the instance that holds
     * {@code callId}. Completes with the reply dictionary, or exceptionally with an {@link NgException}; never blocks.
     */
    CompletableFuture<Map<String, Object>> send(String callId, Map<String, ?> command);

    /** The clock its timeouts run on; media timers of the same calls use it too. */
    SipClock clock();
}
