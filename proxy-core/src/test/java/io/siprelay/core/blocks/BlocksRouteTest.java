package io.siprelay.core.blocks;

import io.siprelay.core.proxy.Myself;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.util.List;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.UserAgentHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** MaxForwards, Scanners, OptionsKeepalive and Sanity as routes on the in-memory network. */
class BlocksRouteTest {

    private final SipTestKit kit = SipTestKit.create();

    @AfterEach
    void close() {
        kit.close();
    }

    private static Request withMaxForwards(Request r, int value) throws Exception {
        ((MaxForwardsHeader) r.getHeader(MaxForwardsHeader.NAME)).setMaxForwards(value);
        return r;
    }

    @Test
    void maxForwardsZeroGets483_othersPassUntouched() throws Exception {
        kit.proxy(b -> b.requestRoute(Route.seq(MaxForwards.check(10),
                ctx -> ctx.reply(200, "MF " + MaxForwards.value(ctx)))));
        Peer alice = kit.peer("127.0.0.2", 5060);

        alice.send(withMaxForwards(alice.request("INVITE", "sip:bob@127.0.0.1"), 0));
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(483);
        assertThat(r.getReasonPhrase()).isEqualTo("Too Many Hops");

        alice.send(withMaxForwards(alice.request("INVITE", "sip:bob@127.0.0.1"), 1));
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("MF 1");
        alice.send(alice.request("INVITE", "sip:bob@127.0.0.1"));
        assertThat(alice.takeResponse().getReasonPhrase()).as("not decremented by the check").isEqualTo("MF 70");
    }

    @Test
    void maxForwardsAddedWhenAbsent_decrementedOnlyWhenForwarded() {
        kit.proxy(b -> b.requestRoute(Route.seq(MaxForwards.check(10), ctx -> ctx.forward())));
        Peer alice = kit.peer("127.0.0.2", 5060);
        Peer bob = kit.peer("127.0.0.3", 5060);

        Request req = alice.request("MESSAGE", "sip:bob@127.0.0.3:5060");
        req.removeHeader(MaxForwardsHeader.NAME);
        alice.send(req);
        Request out = bob.takeRequest();
        assertThat(((MaxForwardsHeader) out.getHeader(MaxForwardsHeader.NAME)).getMaxForwards()).isEqualTo(9);

        alice.send(alice.request("MESSAGE", "sip:bob@127.0.0.3:5060"));
        out = bob.takeRequest();
        assertThat(((MaxForwardsHeader) out.getHeader(MaxForwardsHeader.NAME)).getMaxForwards()).isEqualTo(69);
    }

    @Test
    void maxLimitCapsTheForwardedValue() throws Exception {
        kit.proxy(b -> b.requestRoute(Route.seq(MaxForwards.check(10, 20), ctx -> ctx.forward())));
        Peer alice = kit.peer("127.0.0.2", 5060);
        Peer bob = kit.peer("127.0.0.3", 5060);
        alice.send(withMaxForwards(alice.request("MESSAGE", "sip:bob@127.0.0.3:5060"), 200));
        assertThat(((MaxForwardsHeader) bob.takeRequest().getHeader(MaxForwardsHeader.NAME)).getMaxForwards())
                .isEqualTo(20);
        alice.send(withMaxForwards(alice.request("MESSAGE", "sip:bob@127.0.0.3:5060"), 5));
        assertThat(((MaxForwardsHeader) bob.takeRequest().getHeader(MaxForwardsHeader.NAME)).getMaxForwards())
                .isEqualTo(4);
    }

    @Test
    void isLessThanLikeIsMaxfwdLt() throws Exception {
        kit.proxy(b -> b.requestRoute(ctx -> MaxForwards.isLessThan(ctx, 5) ? ctx.reply(483, "Too Few Hops Left")
                : ctx.reply(200, "OK")));
        Peer alice = kit.peer("127.0.0.2", 5060);
        alice.send(withMaxForwards(alice.request("OPTIONS", "sip:127.0.0.1"), 4));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(483);
        alice.send(withMaxForwards(alice.request("OPTIONS", "sip:127.0.0.1"), 5));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        Request none = alice.request("OPTIONS", "sip:127.0.0.1");
        none.removeHeader(MaxForwardsHeader.NAME);
        alice.send(none);
        assertThat(alice.takeResponse().getStatusCode()).as("absent is not less").isEqualTo(200);
    }

    @Test
    void scannersAreDroppedSilently() throws Exception {
        Scanners scanners = Scanners.dropKnown();
        kit.proxy(b -> b.requestRoute(Route.seq(scanners, ctx -> ctx.reply(200, "OK"))));
        Peer alice = kit.peer("127.0.0.2", 5060);
        for (String ua : List.of("friendly-scanner", "SIPVicious 0.3", "sipcli/v1.8", "VaxSIPUserAgent/3.1",
                "iWar", "Sip-Scan", "sundayddr")) {
            Request r = alice.request("OPTIONS", "sip:100@127.0.0.1");
            r.addHeader(kit.codec().headerFactory().createHeader(UserAgentHeader.NAME, ua));
            alice.send(r);
            assertThat(alice.inboxEmpty()).as(ua).isTrue();
        }
        assertThat(scanners.dropped()).isEqualTo(7);

        // tools an operator points at its own proxy, and phones, are answered
        for (String ua : List.of("Yealink SIP-T46S", "sipsak 0.9.8.1", "SIPp", "baresip v1.0.0 (x86_64/linux)",
                "Linphone/5.1.65 (belle-sip/5.1.0)", "sipexer v1.0.0")) {
            Request phone = alice.request("OPTIONS", "sip:100@127.0.0.1");
            phone.addHeader(kit.codec().headerFactory().createHeader(UserAgentHeader.NAME, ua));
            alice.send(phone);
            assertThat(alice.takeResponse().getStatusCode()).as(ua).isEqualTo(200);
        }
        alice.send(alice.request("OPTIONS", "sip:100@127.0.0.1")); // no User-Agent
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
    }

    @Test
    void scannerListIsOverridable() {
        Scanners s = Scanners.dropMatching(List.of("evil"));
        assertThat(s.isScanner("EvilBot 1.0")).isTrue();
        assertThat(s.isScanner("friendly-scanner")).isFalse();
        assertThat(s.isScanner(null)).isFalse();
        assertThat(s.isScanner("ev")).isFalse();
    }

    @Test
    void optionsKeepaliveOnlyForMeWithoutUser() {
        Myself me = Myself.create().domain("sip.example.com");
        kit.proxy(b -> b.requestRoute(Route.seq(OptionsKeepalive.replyIfForMe(me), ctx -> ctx.reply(404, "Not here"))));
        Peer alice = kit.peer("127.0.0.2", 5060);

        for (String uri : List.of("sip:127.0.0.1", "sip:127.0.0.1:5060", "sip:sip.example.com",
                "sip:SIP.example.com:5080;transport=tcp")) {
            alice.send(alice.request("OPTIONS", uri));
            Response r = alice.takeResponse();
            assertThat(r.getStatusCode()).as(uri).isEqualTo(200);
            assertThat(r.getReasonPhrase()).isEqualTo("Keepalive");
        }
        for (String uri : List.of("sip:alice@127.0.0.1", "sip:127.0.0.1:5070", "sip:other.example.com",
                "sip:127.0.0.9")) {
            alice.send(alice.request("OPTIONS", uri));
            assertThat(alice.takeResponse().getStatusCode()).as(uri).isEqualTo(404);
        }
        alice.send(alice.request("INFO", "sip:127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(404);
    }

    private void sendRaw(Peer p, String method, String ruri, String from, String to, String extra) {
        p.sendRaw(method + " " + ruri + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK" + System.nanoTime() + ";rport\r\n"
                + "From: " + from + "\r\n"
                + "To: " + to + "\r\n"
                + "Call-ID: c" + System.nanoTime() + "\r\nCSeq: 1 " + method + "\r\nMax-Forwards: 70\r\n" + extra
                + "Content-Length: 0\r\n\r\n");
    }

    @Test
    void sanityRejectsWith400NamingTheProblem() {
        Sanity sanity = Sanity.check();
        kit.proxy(b -> b.requestRoute(Route.seq(sanity, ctx -> ctx.reply(200, "OK"))));
        Peer alice = kit.peer("127.0.0.2", 5060);

        sendRaw(alice, "MESSAGE", "sip:bob@127.0.0.1", "<http://example.com/a>;tag=1", "<sip:bob@127.0.0.1>", "");
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(400);
        assertThat(r.getReasonPhrase()).isEqualTo("Bad Request - bad From URI");

        sendRaw(alice, "MESSAGE", "sip:bob@127.0.0.1", "<sip:a@x>;tag=1", "<mailto:bob@example.com>", "");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - bad To URI");

        sendRaw(alice, "MESSAGE", "sip:bob@127.0.0.1", "<sip:a@x>;tag=1", "<tel:+4930123>", "");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(sanity.rejected()).isEqualTo(2);
    }

    @Test
    void sanityViaPortOutOfRange() {
        kit.proxy(b -> b.requestRoute(Route.seq(Sanity.check(), ctx -> ctx.reply(200, "OK"))));
        Peer alice = kit.peer("127.0.0.2", 5060);
        alice.sendRaw("OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.2:99999;branch=z9hG4bKx1;received=127.0.0.2;rport=5060\r\n"
                + "From: <sip:a@x>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: v1\r\nCSeq: 1 OPTIONS\r\n"
                + "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
        // the reply goes back along Via (received/rport), so the peer sees it
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(400);
        assertThat(r.getReasonPhrase()).isEqualTo("Bad Request - bad Via port");
    }

    @Test
    void optionalSanityChecks() {
        kit.proxy(b -> b.requestRoute(Route.seq(Sanity.check(Sanity.Check.CONTACT, Sanity.Check.FROM_TAG,
                Sanity.Check.RFC3261_BRANCH, Sanity.Check.REGISTER_URI), ctx -> ctx.reply(200, "OK"))));
        Peer alice = kit.peer("127.0.0.2", 5060);

        sendRaw(alice, "REGISTER", "sip:alice@127.0.0.1", "<sip:a@x>;tag=1", "<sip:a@x>", "");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - user in REGISTER Request-URI");
        sendRaw(alice, "REGISTER", "sip:127.0.0.1", "<sip:a@x>;tag=1", "<sip:a@x>", "Contact: *\r\n");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - bad Contact *");
        sendRaw(alice, "REGISTER", "sip:127.0.0.1", "<sip:a@x>;tag=1", "<sip:a@x>", "Contact: *\r\nExpires: 0\r\n");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        sendRaw(alice, "INVITE", "sip:b@127.0.0.1", "<sip:a@x>;tag=1", "<sip:b@x>", "Contact: *\r\nExpires: 0\r\n");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - bad Contact *");
        sendRaw(alice, "INVITE", "sip:b@127.0.0.1", "<sip:a@x>;tag=1", "<sip:b@x>",
                "Contact: <http://example.com>\r\n");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - bad Contact URI");
        sendRaw(alice, "INVITE", "sip:b@127.0.0.1", "<sip:a@x>", "<sip:b@x>", "");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - missing From tag");

        alice.sendRaw("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=1234;rport\r\n"
                + "From: <sip:a@x>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: b1\r\nCSeq: 1 OPTIONS\r\n"
                + "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - bad Via branch");

        alice.send(alice.request("INVITE", "sip:b@127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
    }
}
