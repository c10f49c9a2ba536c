package io.siprelay.examples.management;

import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.db.JdbcSubscriberStore;
import io.siprelay.core.SipProxy;
import io.siprelay.core.blocks.FloodDetector;
import io.siprelay.dispatcher.Dispatcher;
import io.siprelay.media.MediaRelay;
import io.siprelay.media.RtpEngine;
import io.siprelay.permissions.Permissions;
import io.siprelay.registrar.Registrar;
import java.util.Map;
import java.util.Set;

/**
 * What management ({@link PbxRpc}, {@link PbxMetrics}, {@link ManagementServer}) needs from the PBX: its components,
 * its counters (read only), its start time and version. The PBX implements it, so management does not depend on the
 * PBX's classes.
 */
public interface ManagedPbx {

    SipProxy proxy();

    Registrar registrar();

    DigestAuth auth();

    /** The {@code subscriber} table. */
    JdbcSubscriberStore subscribers();

    Permissions permissions();

    Dispatcher dispatcher();

    FloodDetector flood();

    /** The rtpengine set of the media relay, or null when none is configured. */
    RtpEngine rtpEngine();

    /** The media relay the routes call, or null: signalling only. */
    MediaRelay media();

    /** The PBX's own counters (what the routes decided). */
    Counters counters();

    /** Wall-clock start time, epoch millis. */
    long startedMillis();

    /** The SipRelay version the PBX was built from. */
    String version();

    /** The read side of the PBX's counters, for {@code stats.get} and the Prometheus metrics. */
    interface Counters {

        /** Responses received from downstream for relayed requests, by status code (provisionals included). */
        Map<Integer, Long> repliesByCode();

        /** Methods with relayed transactions that got a final answer. */
        Set<String> answeredMethods();

        /** Final answers received for relayed requests of {@code method}. */
        long answerCount(String method);

        /** Sum of the times from the request route to each final answer, nanoseconds. */
        long answerNanos(String method);

        /** Requests seen by the request route, by method. */
        Map<String, Long> requestsByMethod();

        /** Failed digest checks by result (lower case). */
        Map<String, Long> authFailures();

        /** REGISTER outcomes (lower case). */
        Map<String, Long> registrations();

        long fromCarrier();

        long toCarrier();

        long failovers();

        /** New requests refused with 503 while shutting down. */
        long shutdownRejected();

        /** Everything, for {@code stats.get}. */
        Map<String, Object> snapshot();
    }
}
