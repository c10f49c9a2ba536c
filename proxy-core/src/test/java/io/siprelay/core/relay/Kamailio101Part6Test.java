package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.blocks.FloodDetector;
import io.siprelay.core.blocks.Reqinit;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kamailio 101 part 6 ("Reusing Code"): the request route reduced to calls of named blocks, with the ready-made
 * REQINIT and WITHINDLG blocks.
 *
 * <pre>
 * request_route {
 *     route(REQINIT);
 *     route(WITHINDLG);
 *     if (is_method("INVITE")) { route(TO_CARRIER); }
 *     sl_reply("501", "Not Implemented");
 * }
 * route[TO_CARRIER] { record_route(); rewritehostport("127.0.0.4:5060"); route(RELAY); }
 * route[RELAY] { t_on_failure("RELAY_FAILED"); t_relay(); exit; }
 * failure_route[RELAY_FAILED] { if (t_is_canceled()) exit; if ($T_reply_code == 503) { t_reply("480", "Carrier Down"); } }
 * </pre>
 */
class Kamailio101Part6Test {

    private final SipTestKit kit = SipTestKit.create();
    private final Myself myself = Myself.create().domain("pbx.example.com");
    private Peer alice;
    private Peer carrier;

    static final Route RELAY = Route.named("RELAY", ctx -> {
        ctx.onFailure(f -> {
            if (f.isCanceled()) {
                return f.exit();
            }
            return f.status() == 503 ? f.reply(480, "Carrier Down") : f.exit();
        });
        return ctx.relay();
    });

    static final Route TO_CARRIER = Route.named("TO_CARRIER", ctx -> {
        ctx.recordRoute();
        ctx.rewriteHostPort("127.0.0.4", 5060);
        return ctx.route(RELAY);
    });

    Route requestRoute(FloodDetector flood) {
        return Route.seq(
                Reqinit.defaults(myself, flood),
                Dialogs.withinDialog(),
                Route.when(ctx -> ctx.isMethod("INVITE"), TO_CARRIER),
                ctx -> ctx.reply(501, "Not Implemented"));
    }

    @BeforeEach
    void start() {
        FloodDetector flood = FloodDetector.builder(kit.clock()).build();
        kit.proxy(b -> b.myself(myself).requestRoute(requestRoute(flood)));
        alice = kit.peer("127.0.0.2", 5060);
        carrier = kit.peer("127.0.0.4", 5060);
    }

    @AfterEach
    void close() {
        kit.close();
    }

    @Test
    void callToTheCarrierAndHangUpThroughTheRouteSet() {
        Request invite = alice.request("INVITE", "sip:+493012345@pbx.example.com");
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        Request atCarrier = carrier.takeRequest();
        assertThat(atCarrier.getRequestURI().toString()).isEqualTo("sip:+493012345@127.0.0.4:5060");
        carrier.reply(atCarrier, 200);
        Response ok = alice.takeResponse();
        assertThat(ok.getStatusCode()).isEqualTo(200);
        alice.send(alice.ack(invite, ok));
        assertThat(carrier.takeRequest().getMethod()).isEqualTo("ACK");
        alice.send(alice.inDialog("BYE", invite, ok, 2));
        Request bye = carrier.takeRequest();
        assertThat(bye.getMethod()).isEqualTo("BYE");
        carrier.reply(bye, 200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
    }

    @Test
    void carrierDownBecomes480InTheFailureRoute() {
        alice.send(alice.request("INVITE", "sip:+493012345@pbx.example.com"));
        alice.takeResponse(); // 100
        carrier.reply(carrier.takeRequest(), 503);
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(480);
        assertThat(r.getReasonPhrase()).isEqualTo("Carrier Down");
    }

    @Test
    void reqinitAndWithinDialogBlocksAnswerFirst() throws Exception {
        Request hops = alice.request("INVITE", "sip:+493012345@pbx.example.com");
        ((MaxForwardsHeader) hops.getHeader(MaxForwardsHeader.NAME)).setMaxForwards(0);
        alice.send(hops);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(483);

        Request scanner = alice.request("OPTIONS", "sip:100@pbx.example.com");
        scanner.setHeader(kit.codec().headerFactory().createHeader("User-Agent", "friendly-scanner"));
        alice.send(scanner);
        assertThat(alice.inboxEmpty()).as("scanners are dropped silently").isTrue();

        Request keepalive = alice.request("OPTIONS", "sip:pbx.example.com");
        alice.send(keepalive);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);

        Request strayBye = alice.request("BYE", "sip:bob@pbx.example.com");
        ((javax.sip.header.ToHeader) strayBye.getHeader("To")).setTag("nope");
        alice.send(strayBye);
        Response notHere = alice.takeResponse();
        assertThat(notHere.getStatusCode()).isEqualTo(404);
        assertThat(notHere.getReasonPhrase()).isEqualTo("Not here");

        alice.send(alice.request("MESSAGE", "sip:bob@pbx.example.com"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(501);
        assertThat(carrier.inboxEmpty()).isTrue();
    }
}
