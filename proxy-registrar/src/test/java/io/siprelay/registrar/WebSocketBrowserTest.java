package io.siprelay.registrar;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.blocks.Nat;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.route.Route;
import io.siprelay.core.transport.TransportType;
import io.siprelay.registrar.store.Binding;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.ContactHeader;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A browser on the in-memory network's WebSocket flavour (RFC 7118 as JsSIP and SIP.js do it): its Via and Contact
 * name a made-up {@code .invalid} host, and the proxy's WS listener reaches it only over the connection it opened.
 * Kamailio's websocket recipe (nat_uac_test 64, fix_nated_register, add_contact_alias, handle_ruri_alias) with the
 * ready-made blocks: registering, being called from a UDP phone, calling it, and hanging up both ways.
 */
class WebSocketBrowserTest {

    private static final String INVALID = "df7jal23ls0d.invalid";

    private final SipTestKit kit = SipTestKit.create();
    private Registrar registrar;
    private Peer browser;
    private Peer phone;

    @BeforeEach
    void start() {
        registrar = Registrar.builder().clock(kit.clock()).build();
        Myself me = Myself.create().address("127.0.0.1", 5060).address("127.0.0.1", 8080);
        Route request = Route.seq(Nat.detect(Nat.Test.of(19 + 64)), Dialogs.withinDialog(), ctx -> {
            if (ctx.isMethod("REGISTER")) {
                return ctx.route(registrar.save());
            }
            ctx.recordRoute();
            if (registrar.lookup(ctx) != LookupResult.FOUND) {
                return ctx.reply(404, "User not Registered");
            }
            ctx.onReply(Nat.manageReplies(me));
            return ctx.relay();
        });
        kit.proxy(b -> b.requestRoute(request).myself(me)
                .listen(kit.network().transport(TransportType.WS, "127.0.0.1", 8080)));
        browser = kit.peer(TransportType.WS, "127.0.0.50", 50123).target("127.0.0.1", 8080);
        phone = kit.peer("127.0.0.2", 5060);
    }

    @AfterEach
    void close() {
        registrar.close();
        kit.close();
    }

    /** A request as a browser sends it: Via and Contact on the .invalid host, transport=ws. */
    private Request fromBrowser(String method, String ruri) throws Exception {
        Request r = browser.request(method, ruri);
        ((ViaHeader) r.getHeader(ViaHeader.NAME)).setHost(INVALID);
        r.setHeader(kit.codec().headerFactory().createHeader(ContactHeader.NAME,
                "<sip:k8q7v2@" + INVALID + ";transport=ws>"));
        r.setHeader(kit.codec().headerFactory().createHeader("From", "<sip:1003@127.0.0.1>;tag=br" + method));
        return r;
    }

    private void registerBrowser() throws Exception {
        Request reg = fromBrowser("REGISTER", "sip:127.0.0.1");
        reg.setHeader(kit.codec().headerFactory().createHeader("To", "<sip:1003@127.0.0.1>"));
        browser.send(reg);
        Response ok = browser.takeResponse();
        assertThat(ok.getStatusCode()).isEqualTo(200);
        assertThat(((ViaHeader) ok.getHeader(ViaHeader.NAME)).getTransport()).isEqualToIgnoringCase("WS");
    }

    @Test
    void aBrowserRegistersOverItsConnectionAndIsStoredWithItsSource() throws Exception {
        registerBrowser();
        List<Binding> b = registrar.contacts("1003@127.0.0.1");
        assertThat(b).hasSize(1);
        assertThat(b.get(0).contact()).isEqualTo("sip:k8q7v2@" + INVALID + ";transport=ws");
        assertThat(b.get(0).received()).isEqualTo("sip:127.0.0.50:50123;transport=ws");
    }

    @Test
    void aPhoneCallsTheBrowserOverItsConnectionAndHangsUp() throws Exception {
        registerBrowser();
        Request invite = phone.request("INVITE", "sip:1003@127.0.0.1");
        phone.send(invite);
        assertThat(phone.takeResponse().getStatusCode()).isEqualTo(100);
        Request atBrowser = browser.takeRequest();
        assertThat(atBrowser.getMethod()).isEqualTo("INVITE");
        assertThat(((ViaHeader) atBrowser.getHeader(ViaHeader.NAME)).getTransport()).isEqualToIgnoringCase("WS");
        assertThat(recordRoutes(atBrowser)).as("double Record-Route: WS toward the browser, UDP toward the phone")
                .containsExactly("sip:127.0.0.1:8080;transport=ws;lr;r2=on", "sip:127.0.0.1:5060;lr;r2=on");

        Response ok = browser.response(atBrowser, 200);
        ok.setHeader(kit.codec().headerFactory().createHeader(ContactHeader.NAME,
                "<sip:k8q7v2@" + INVALID + ";transport=ws>"));
        browser.send(ok);
        Response okAtPhone = phone.takeResponse();
        assertThat(okAtPhone.getStatusCode()).isEqualTo(200);
        assertThat(okAtPhone.getHeader(ContactHeader.NAME).toString()).as("the browser's Contact aliased")
                .contains("alias=127.0.0.50~50123~5");

        phone.send(phone.ack(invite, okAtPhone));
        assertThat(browser.takeRequest().getMethod()).isEqualTo("ACK");
        phone.send(phone.inDialog("BYE", invite, okAtPhone, 2));
        Request bye = browser.takeRequest();
        assertThat(bye.getMethod()).isEqualTo("BYE");
        browser.reply(bye, 200);
        assertThat(phone.takeResponse().getStatusCode()).isEqualTo(200);
    }

    @Test
    void theBrowserCallsAPhoneAndThePhoneHangsUpBackOverTheConnection() throws Exception {
        registerBrowser();
        Request reg = phone.request("REGISTER", "sip:127.0.0.1");
        reg.setHeader(kit.codec().headerFactory().createHeader("To", "<sip:1001@127.0.0.1>"));
        reg.setHeader(kit.codec().headerFactory().createHeader("From", "<sip:1001@127.0.0.1>;tag=p1"));
        phone.send(reg);
        assertThat(phone.takeResponse().getStatusCode()).isEqualTo(200);

        Request invite = fromBrowser("INVITE", "sip:1001@127.0.0.1");
        browser.send(invite);
        assertThat(browser.takeResponse().getStatusCode()).isEqualTo(100);
        Request atPhone = phone.takeRequest();
        assertThat(atPhone.getHeader(ContactHeader.NAME).toString()).as("add_contact_alias for the browser")
                .contains("alias=127.0.0.50~50123~5");
        Response ok = phone.reply(atPhone, 200);
        Response okAtBrowser = browser.takeResponse();
        assertThat(okAtBrowser.getStatusCode()).isEqualTo(200);

        Request bye = phone.inDialogFromCallee("BYE", atPhone, ok, 1);
        phone.send(bye);
        Request byeAtBrowser = browser.takeRequest();
        assertThat(byeAtBrowser.getMethod()).isEqualTo("BYE");
        browser.reply(byeAtBrowser, 200);
        assertThat(phone.takeResponse().getStatusCode()).isEqualTo(200);
    }

    private static List<String> recordRoutes(Request r) {
        List<String> out = new ArrayList<>();
        for (java.util.ListIterator<?> it = r.getHeaders(RecordRouteHeader.NAME); it.hasNext(); ) {
            out.add(((RecordRouteHeader) it.next()).getAddress().getURI().toString());
        }
        return out;
    }
}
