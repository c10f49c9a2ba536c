package io.siprelay.examples.pbx;

import io.siprelay.core.clock.SipClock;
import io.siprelay.media.NgClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An rtpengine stand-in for the PBX's route tests: records every ng command and answers at once on the caller's thread,
 * moving any SDP to {@value #RELAY_IP} and a port of its own, so a test sees what the routes asked for and whether the
 * SDP that went on is rtpengine's.
 */
final class ScriptedRtpEngine implements NgClient {

    /** The media address every rewritten SDP names. */
    static final String RELAY_IP = "203.0.113.7";

    /** One command as sent. */
    record Sent(String callId, Map<String, Object> command) {
        String op() {
            return (String) command.get("command");
        }
    }

    private final SipClock clock;
    private final List<Sent> sent = new ArrayList<>();
    private int nextPort = 30_000;

    ScriptedRtpEngine(SipClock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized CompletableFuture<Map<String, Object>> send(String callId, Map<String, ?> command) {
        Sent s = new Sent(callId, new LinkedHashMap<>(command));
        sent.add(s);
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("result", "ok");
        if (command.get("sdp") instanceof String sdp) {
            int port = nextPort += 2;
            reply.put("sdp", sdp.replaceAll("IN IP4 [0-9.]+", "IN IP4 " + RELAY_IP)
                    .replaceAll("m=audio \\d+", "m=audio " + port));
        }
        return CompletableFuture.completedFuture(reply);
    }

    @Override
    public SipClock clock() {
        return clock;
    }

    /** The commands sent so far, by name, in order. */
    synchronized List<String> ops() {
        return sent.stream().map(Sent::op).toList();
    }

    /** The last command of this name. */
    synchronized Sent last(String op) {
        for (int i = sent.size() - 1; i >= 0; i--) {
            if (sent.get(i).op().equals(op)) {
                return sent.get(i);
            }
        }
        throw new AssertionError("no " + op + " was sent; sent: " + ops());
    }
}
