package io.siprelay.examples.interop;

import io.siprelay.media.RtpEngine;
import io.siprelay.media.RtpEngineInstance;
import io.siprelay.testkit.RtpEngineProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real rtpengine daemon for the PBX's interop test ({@link RtpEngineProcess} of the test kit) and a client of its
 * own for {@code query} and {@code list}.
 */
final class RtpEngineDaemon implements AutoCloseable {

    private final RtpEngineProcess process;
    private final RtpEngine client;

    private RtpEngineDaemon(RtpEngineProcess process) {
        this.process = process;
        this.client = RtpEngine.builder().instance(process.ngSpec()).timeout(Duration.ofMillis(300)).retries(1).build();
    }

    static boolean installed() {
        return RtpEngineProcess.isInstalled();
    }

    /** Starts the daemon (log and pid file in {@code dir}), ready once it answers ping. */
    static RtpEngineDaemon start(Path dir) {
        RtpEngineProcess p = RtpEngineProcess.start(dir);
        System.out.println("rtpengine: ng " + p.ngSpec() + ", media ports " + p.portMin() + "-" + p.portMax()
                + ", log " + p.log());
        return new RtpEngineDaemon(p);
    }

    /** {@code udp:127.0.0.1:PORT}, the PBX's {@code --rtpengine}. */
    String ngSpec() {
        return process.ngSpec();
    }

    int portMin() {
        return process.portMin();
    }

    int portMax() {
        return process.portMax();
    }

    private RtpEngineInstance instance() {
        return client.instances().get(0);
    }

    /** Sends an ng command to the daemon (enabled or not in the client) and waits for the answer. */
    Map<String, Object> command(Map<String, ?> command) throws Exception {
        return client.send(instance(), command).get(5, TimeUnit.SECONDS);
    }

    /** The Call-IDs of the daemon's sessions ({@code list}). */
    @SuppressWarnings("unchecked")
    List<Object> calls() throws Exception {
        return (List<Object>) command(Map.of("command", "list")).get("calls");
    }

    /** {@code query}: the session's tags, streams and packet counters. */
    Map<String, Object> query(String callId) throws Exception {
        return command(Map.of("command", "query", "call-id", callId));
    }

    Path log() {
        return process.log();
    }

    @Override
    public void close() {
        client.close();
        process.close();
    }
}
