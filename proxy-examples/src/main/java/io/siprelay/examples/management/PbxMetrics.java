package io.siprelay.examples.management;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.siprelay.core.proxy.ProxyStats;
import io.siprelay.dispatcher.Destination;
import io.siprelay.dispatcher.Dispatcher;
import io.siprelay.examples.management.ManagedPbx.Counters;
import io.siprelay.media.MediaRelay;
import io.siprelay.media.RtpEngine;
import io.siprelay.media.RtpEngineInstance;
import io.siprelay.registrar.ul.UlDump;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters over the PBX's counters, scraped in Prometheus' text format at {@code GET /metrics}. The meters
 * read the live counters (function counters and gauges), so routes pay nothing for them. Meters whose tag values
 * appear at run time (request methods, auth results, dispatcher sets and states) are registered at scrape time.
 *
 * <pre>
 * siprelay_requests_total{method}             requests seen by the request route
 * siprelay_core_*_total                       the proxy core's counters (received, relayed branches, timeouts...)
 * siprelay_replies_total{code,class}         responses from downstream to relayed requests
 * siprelay_relay_answer_seconds{method}       count and sum of the time to each final answer of a relay
 * siprelay_overload_rejected_total{reason}    503s: full worker queues (core) or shutting down (pbx)
 * siprelay_transactions_active                relays (stateful transactions) running
 * siprelay_registrations_total{result}        REGISTER outcomes (inserted, updated, deleted, returned, rejected)
 * siprelay_registered_aors / _contacts        the location table now
 * siprelay_auth_failures_total{result}        failed digest checks (no_credentials = the normal first challenge)
 * siprelay_carrier_calls_total{direction}     calls from and to the carrier
 * siprelay_dispatcher_failovers_total         "trying next destination"
 * siprelay_dispatcher_destinations{set,state} destinations per set and state (AP, IP, DX...)
 * siprelay_pike_dropped_total                 requests dropped by flood detection
 * siprelay_rtpengine_enabled{url}             1 when calls may go to the rtpengine instance (with --rtpengine)
 * siprelay_rtpengine_requests_total{url}      ng commands sent to it; _timeouts_total, _errors_total the failed ones
 * siprelay_media_commands_total{command}      offers, answers and deletes of the media relay
 * siprelay_media_failures_total               media commands that failed (the SDP went on unchanged)
 * siprelay_media_ack_timeouts_total           answered calls deleted because their ACK never came
 * siprelay_media_awaiting_ack                 answered calls waiting for their ACK
 * </pre>
 */
public final class PbxMetrics {

    private final ManagedPbx pbx;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private PbxMetrics(ManagedPbx pbx) {
        this.pbx = pbx;
        ProxyStats s = pbx.proxy().stats();
        coreCounter("received", s, ProxyStats::received);
        coreCounter("parse_errors", s, ProxyStats::parseErrors);
        coreCounter("requests_routed", s, ProxyStats::requestsRouted);
        coreCounter("absorbed_retransmissions", s, ProxyStats::absorbed);
        coreCounter("stateless_replies", s, ProxyStats::statelessReplies);
        coreCounter("forwarded_requests", s, ProxyStats::forwardedRequests);
        coreCounter("forwarded_responses", s, ProxyStats::forwardedResponses);
        coreCounter("relayed_branches", s, ProxyStats::relayedBranches);
        coreCounter("cancels_received", s, ProxyStats::cancelsReceived);
        coreCounter("local_timeouts", s, ProxyStats::localTimeouts);
        coreCounter("route_errors", s, ProxyStats::routeErrors);
        FunctionCounter.builder("siprelay.overload.rejected", s, ProxyStats::overloadRejected)
                .tag("reason", "queue_full").description("new requests refused with 503").register(registry);
        Counters c = pbx.counters();
        FunctionCounter.builder("siprelay.overload.rejected", c, Counters::shutdownRejected)
                .tag("reason", "shutting_down").description("new requests refused with 503").register(registry);
        Gauge.builder("siprelay.transactions.active", pbx.proxy(), p -> p.activeRelays())
                .description("relays (stateful proxy transactions) running").register(registry);
        Gauge.builder("siprelay.registered.aors", this, m -> m.location().size())
                .description("AoRs with unexpired contacts").register(registry);
        Gauge.builder("siprelay.registered.contacts", this, PbxMetrics::contacts)
                .description("unexpired contacts").register(registry);
        FunctionCounter.builder("siprelay.carrier.calls", c, Counters::fromCarrier).tag("direction", "from")
                .register(registry);
        FunctionCounter.builder("siprelay.carrier.calls", c, Counters::toCarrier).tag("direction", "to")
                .register(registry);
        FunctionCounter.builder("siprelay.dispatcher.failovers", c, Counters::failovers)
                .description("failure route moved on to the next destination").register(registry);
        FunctionCounter.builder("siprelay.pike.dropped", pbx.flood(), f -> f.dropped())
                .description("requests dropped by flood detection").register(registry);
        Gauge.builder("siprelay.subscribers", pbx.subscribers(), st -> st.count()).register(registry);
        if (pbx.rtpEngine() != null) {
            rtpEngineMeters(pbx.rtpEngine());
        }
        if (pbx.media() != null) {
            mediaMeters(pbx.media());
        }
    }

    private void rtpEngineMeters(RtpEngine engine) {
        for (RtpEngineInstance i : engine.instances()) {
            Gauge.builder("siprelay.rtpengine.enabled", i, x -> x.isEnabled() ? 1 : 0).tag("url", i.url())
                    .description("1 when calls may go to the rtpengine instance").register(registry);
            FunctionCounter.builder("siprelay.rtpengine.requests", i, RtpEngineInstance::requests)
                    .tag("url", i.url()).description("ng commands sent to the instance").register(registry);
            FunctionCounter.builder("siprelay.rtpengine.timeouts", i, RtpEngineInstance::timeouts)
                    .tag("url", i.url()).description("ng commands unanswered after every retry").register(registry);
            FunctionCounter.builder("siprelay.rtpengine.errors", i, RtpEngineInstance::errors)
                    .tag("url", i.url()).description("ng commands answered with an error or not sent")
                    .register(registry);
        }
    }

    private void mediaMeters(MediaRelay relay) {
        for (String command : new String[] {"offer", "answer", "delete"}) {
            String key = command + "s";
            FunctionCounter.builder("siprelay.media.commands", relay, r -> r.stats().get(key)).tag("command", command)
                    .description("media relay commands sent to rtpengine").register(registry);
        }
        FunctionCounter.builder("siprelay.media.failures", relay, r -> r.stats().get("failures"))
                .description("media commands that failed: the SDP went on unchanged").register(registry);
        FunctionCounter.builder("siprelay.media.ack_timeouts", relay, r -> r.stats().get("ack_timeouts"))
                .description("answered calls deleted because their ACK never came").register(registry);
        Gauge.builder("siprelay.media.awaiting_ack", relay, r -> r.stats().get("awaiting_ack"))
                .description("answered calls waiting for their ACK").register(registry);
    }

    /** Meters over {@code pbx}. */
    public static PbxMetrics bind(ManagedPbx pbx) {
        return new PbxMetrics(pbx);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        Counters c = pbx.counters();
        dynamic(c, "siprelay.requests", "method", Counters::requestsByMethod, "requests seen by the request route");
        dynamic(c, "siprelay.auth.failures", "result", Counters::authFailures, "failed digest checks");
        dynamic(c, "siprelay.registrations", "result", Counters::registrations, "REGISTER outcomes");
        for (int code : c.repliesByCode().keySet()) {
            FunctionCounter.builder("siprelay.replies", c, x -> x.repliesByCode().getOrDefault(code, 0L))
                    .tag("code", Integer.toString(code)).tag("class", (code / 100) + "xx")
                    .description("responses from downstream to relayed requests").register(registry);
        }
        for (String method : c.answeredMethods()) {
            FunctionTimer.builder("siprelay.relay.answer", c, x -> x.answerCount(method), x -> x.answerNanos(method),
                    TimeUnit.NANOSECONDS).tag("method", method)
                    .description("time from the request route to each final answer of a relayed transaction")
                    .register(registry);
        }
        Dispatcher ds = pbx.dispatcher();
        for (int set : ds.setIds()) {
            for (String state : new String[] {"AP", "AX", "TP", "TX", "IP", "IX", "DP", "DX"}) {
                ToDoubleFunction<Dispatcher> count = d -> d.destinations(set).stream()
                        .filter(x -> state.equals(x.state())).count();
                Gauge.builder("siprelay.dispatcher.destinations", ds, count).tag("set", Integer.toString(set))
                        .tag("state", state).description("dispatcher destinations by state").register(registry);
            }
            for (Destination d : ds.destinations(set)) {
                String uri = d.uri();
                Gauge.builder("siprelay.dispatcher.destination.usable", ds, x -> {
                    Destination now = x.destination(set, uri);
                    return now != null && now.isUsable() ? 1 : 0;
                }).tag("set", Integer.toString(set)).tag("uri", uri).register(registry);
            }
        }
        return registry.scrape();
    }

    private void coreCounter(String name, ProxyStats s, ToDoubleFunction<ProxyStats> f) {
        FunctionCounter.builder("siprelay.core." + name, s, f).register(registry);
    }

    /** One counter per key the map has now; registering an existing one again is a no-op. */
    private void dynamic(Counters c, String name, String tag, Function<Counters, Map<String, Long>> values,
                         String description) {
        for (String k : values.apply(c).keySet()) {
            FunctionCounter.builder(name, c, x -> values.apply(x).getOrDefault(k, 0L)).tag(tag, k)
                    .description(description).register(registry);
        }
    }

    private UlDump.Domain location() {
        return pbx.registrar().locationService().dump(false).domains().get(0).domain();
    }

    private static double contacts(PbxMetrics m) {
        int n = 0;
        for (UlDump.AorEntry a : m.location().aors()) {
            n += a.info().contacts() == null ? 0 : a.info().contacts().size();
        }
        return n;
    }
}
