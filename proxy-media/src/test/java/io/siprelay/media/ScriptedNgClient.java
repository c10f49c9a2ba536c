package io.siprelay.media;

import io.siprelay.core.clock.SipClock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An rtpengine stand-in for route tests on the in-memory network: records every command and answers on the test
 * thread, so the test decides when (and whether) rtpengine answers. The real daemon is exercised by
 * {@code RtpEngineDaemonTest} and {@code MediaCallDaemonTest}.
 */
final class ScriptedNgClient implements NgClient {

    /** One command sent, with the future the test completes (unless answered at once). */
    record Sent(String callId, Map<String, Object> command, CompletableFuture<Map<String, Object>> reply) {
        String op() {
            return (String) command.get("command");
        }
    }

    private final SipClock clock;
    final List<Sent> sent = new ArrayList<>();
    /** When true every command is answered at once like rtpengine would; else the test completes it. */
    boolean answerAtOnce = true;
    /** When set, every command fails with it. */
    RuntimeException failWith;

    ScriptedNgClient(SipClock clock) {
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Map<String, Object>> send(String callId, Map<String, ?> command) {
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        Sent s = new Sent(callId, new LinkedHashMap<>(command), f);
        sent.add(s);
        if (failWith != null) {
            f.completeExceptionally(failWith);
        } else if (answerAtOnce) {
            f.complete(answerFor(s));
        }
        return f;
    }

    /** What rtpengine answers: ok, and for offer/answer the SDP moved to the relay's address 203.0.113.7. */
    static Map<String, Object> answerFor(Sent s) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("result", "ok");
        Object sdp = s.command().get("sdp");
        if (sdp instanceof String text) {
            r.put("sdp", text.replace("127.0.0.2", "203.0.113.7").replace("127.0.0.11", "203.0.113.7")
                    .replaceAll("m=audio \\d+", "m=audio 30" + s.op().length() + "00"));
        }
        return r;
    }

    List<String> ops() {
        return sent.stream().map(Sent::op).toList();
    }

    Sent last(String op) {
        for (int i = sent.size() - 1; i >= 0; i--) {
            if (sent.get(i).op().equals(op)) {
                return sent.get(i);
            }
        }
        throw new AssertionError("no " + op + " was sent; sent: " + ops());
    }

    @Override
    public SipClock clock() {
        return clock;
    }
}
