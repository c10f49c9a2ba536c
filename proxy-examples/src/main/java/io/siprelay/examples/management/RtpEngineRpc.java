package io.siprelay.examples.management;

import io.siprelay.media.MediaRelay;
import io.siprelay.media.RtpEngine;
import io.siprelay.media.RtpEngineInstance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The media relay's RPC methods, named as in Kamailio's rtpengine module. Without a media relay every one answers
 * the error {@value #NOT_CONFIGURED}.
 *
 * <table>
 *   <caption>methods</caption>
 *   <tr><td>rtpengine.show</td><td>[] or ["all"] or [url]: each instance (url, weight, enabled,
 *       disabled_by_operator, requests, timeouts, errors) and the relay's counters</td></tr>
 *   <tr><td>rtpengine.enable</td><td>[url|"all", 0|1]: takes an instance out of use (no probing) or back in</td></tr>
 *   <tr><td>rtpengine.reload</td><td>[]: there is no rtpengine table to read again (the instances come from
 *       --rtpengine), so it probes every instance with ping, reports which answered and puts an instance that was
 *       out after a timeout back in use when it answers; operator-disabled ones stay out</td></tr>
 *   <tr><td>rtpengine.ping</td><td>[] or [url|"all"]: ping, and which answered</td></tr>
 * </table>
 */
public final class RtpEngineRpc {

    /** The error of every method when the PBX runs without a media relay. */
    public static final String NOT_CONFIGURED = "no rtpengine configured (--rtpengine)";
    /** How long ping and reload wait for the answers; below siprelayctl's default timeout of 5 s. */
    static final Duration PING_WAIT = Duration.ofSeconds(4);

    private RtpEngineRpc() {
    }

    /** Registers the methods on {@code rpc}; {@code engine} and {@code relay} may be null (no media relay). */
    public static void register(JsonRpc rpc, RtpEngine engine, MediaRelay relay) {
        rpc.register("rtpengine.show", p -> {
            p.expect(0, 1, "[] or [\"all\"] or [url]");
            RtpEngine e = require(engine);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("instances", select(e, p.optionalString(0, "url")).stream().map(RtpEngineRpc::describe).toList());
            m.put("in_flight", e.inFlight());
            m.put("stray_replies", e.strayReplies());
            m.put("relay", relay == null ? Map.of() : relay.stats());
            return m;
        });
        rpc.register("rtpengine.enable", p -> {
            p.expect(2, 2, "[url|\"all\", 0|1]");
            RtpEngine e = require(engine);
            List<RtpEngineInstance> targets = select(e, p.string(0, "url"));
            int state = p.integer(1, "state");
            if (state != 0 && state != 1) {
                throw RpcException.invalidParams("state must be 0 (disable) or 1 (enable), got " + state);
            }
            for (RtpEngineInstance i : targets) {
                e.setEnabled(i, state == 1);
            }
            return Map.of("updated", targets.size(), "instances", targets.stream().map(RtpEngineRpc::describe)
                    .toList());
        });
        rpc.register("rtpengine.ping", p -> {
            p.expect(0, 1, "[] or [url|\"all\"]");
            RtpEngine e = require(engine);
            Map<RtpEngineInstance, Boolean> answers = ping(e, select(e, p.optionalString(0, "url")));
            List<Map<String, Object>> out = new ArrayList<>();
            answers.forEach((i, ok) -> out.add(Map.of("url", i.url(), "answered", ok)));
            return Map.of("answered", count(answers), "instances", out);
        });
        rpc.register("rtpengine.reload", p -> {
            p.expect(0, 0, "no parameters");
            RtpEngine e = require(engine);
            Map<RtpEngineInstance, Boolean> answers = ping(e, e.instances());
            int reenabled = 0;
            List<Map<String, Object>> out = new ArrayList<>();
            for (Map.Entry<RtpEngineInstance, Boolean> a : answers.entrySet()) {
                RtpEngineInstance i = a.getKey();
                if (a.getValue() && !i.isEnabled() && !i.isDisabledByOperator()) {
                    e.setEnabled(i, true);
                    reenabled++;
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("url", i.url());
                m.put("answered", a.getValue());
                m.put("enabled", i.isEnabled());
                m.put("disabled_by_operator", i.isDisabledByOperator());
                out.add(m);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("note", "no rtpengine table to reload: every instance was probed with ping");
            m.put("answered", count(answers));
            m.put("reenabled", reenabled);
            m.put("instances", out);
            return m;
        });
    }

    /** One instance as rtpengine.show lists it. */
    static Map<String, Object> describe(RtpEngineInstance i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", i.url());
        m.put("weight", i.weight());
        m.put("enabled", i.isEnabled());
        m.put("disabled_by_operator", i.isDisabledByOperator());
        m.put("requests", i.requests());
        m.put("timeouts", i.timeouts());
        m.put("errors", i.errors());
        return m;
    }

    private static RtpEngine require(RtpEngine engine) throws RpcException {
        if (engine == null) {
            throw new RpcException(RpcException.FAILED, NOT_CONFIGURED);
        }
        return engine;
    }

    /** Every instance for null or "all", else the one with this url. */
    private static List<RtpEngineInstance> select(RtpEngine e, String url) throws RpcException {
        if (url == null || url.trim().equalsIgnoreCase("all")) {
            return e.instances();
        }
        RtpEngineInstance i = e.instance(url.trim());
        if (i == null) {
            throw new RpcException(RpcException.NOT_FOUND, "rtpengine instance not found: " + url + " (configured: "
                    + e.instances().stream().map(RtpEngineInstance::url).collect(Collectors.joining(", ")) + ")");
        }
        return List.of(i);
    }

    /** Pings {@code targets} at once and waits up to {@link #PING_WAIT}; no answer by then counts as false. */
    private static Map<RtpEngineInstance, Boolean> ping(RtpEngine e, List<RtpEngineInstance> targets) {
        Map<RtpEngineInstance, CompletableFuture<Boolean>> pending = new LinkedHashMap<>();
        for (RtpEngineInstance i : targets) {
            pending.put(i, e.ping(i));
        }
        try {
            CompletableFuture.allOf(pending.values().toArray(CompletableFuture[]::new))
                    .get(PING_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ex) {
            // the ones that answered in time are done; the others count as not answering
        }
        Map<RtpEngineInstance, Boolean> out = new LinkedHashMap<>();
        pending.forEach((i, f) -> out.put(i, f.getNow(false)));
        return out;
    }

    private static long count(Map<RtpEngineInstance, Boolean> answers) {
        return answers.values().stream().filter(Boolean::booleanValue).count();
    }
}
