package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Kamailio 101 parts 2 and 3 as Java routes, on the in-memory network. */
class Kamailio101RoutesTest {

    private final SipTestKit kit = SipTestKit.create();

    @AfterEach
    void close() {
        kit.close();
    }

    @Test
    void part2_everythingGets501() {
        kit.proxy(b -> b.requestRoute(ctx -> ctx.reply(501, "Not Implemented")));
        Peer alice = kit.peer("127.0.0.2", 5062);

        for (String method : List.of("OPTIONS", "INVITE", "REGISTER", "SUBSCRIBE", "FOO")) {
            Request req = alice.request(method, "sip:bob@127.0.0.1");
            alice.send(req);
            Response r = alice.takeResponse();
            assertThat(r.getStatusCode()).isEqualTo(501);
            assertThat(r.getReasonPhrase()).isEqualTo("Not Implemented");
            assertCopiedPerRfc3261(req, r);
        }
    }

    @Test
    void part3_inviteGets480_othersGet501() {
        Route inviteBlock = Route.named("INVITE", ctx -> ctx.reply(480, "Temporarily Unavailable"));
        kit.proxy(b -> b.requestRoute(ctx -> {
            if (ctx.isMethod("INVITE")) {
                Step s = ctx.route(inviteBlock);
                if (s.isDone()) {
                    return s;
                }
            }
            return ctx.reply(501, "Not Implemented");
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);

        Request invite = alice.request("INVITE", "sip:bob@127.0.0.1");
        alice.send(invite);
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(480);
        assertThat(r.getReasonPhrase()).isEqualTo("Temporarily Unavailable");
        assertCopiedPerRfc3261(invite, r);

        alice.send(alice.request("OPTIONS", "sip:bob@127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(501);
        assertThat(alice.inboxEmpty()).isTrue();
    }

    @Test
    void blockCallsBlockAndContinues_exitInInnerStopsOuter() {
        List<String> trace = new ArrayList<>();
        Route inner = Route.named("INNER", ctx -> {
            trace.add("inner");
            if (ctx.isMethod("BYE")) {
                return ctx.exit();
            }
            return Step.next();
        });
        Route outer = Route.named("OUTER", ctx -> {
            trace.add("outer-before");
            Step s = ctx.route(inner);
            if (s.isDone()) {
                return s;
            }
            trace.add("outer-after");
            return Step.next();
        });
        kit.proxy(b -> b.requestRoute(Route.seq(outer, ctx -> {
            trace.add("main");
            return ctx.reply(200, "OK");
        })));
        Peer alice = kit.peer("127.0.0.2", 5062);

        alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(trace).containsExactly("outer-before", "inner", "outer-after", "main");

        trace.clear();
        alice.send(alice.request("BYE", "sip:127.0.0.1"));
        assertThat(alice.inboxEmpty()).as("exit ends processing without a reply").isTrue();
        assertThat(trace).containsExactly("outer-before", "inner");
    }

    @Test
    void fallingOffTheEndDropsWithoutReplyAndCounts() {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> Step.next()));
        Peer alice = kit.peer("127.0.0.2", 5062);
        alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        assertThat(alice.inboxEmpty()).isTrue();
        assertThat(proxy.stats().fellOffRoute()).isEqualTo(1);
    }

    @Test
    void routeThatThrowsGets500AndTheProxyKeepsWorking() {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> {
            if (ctx.isMethod("INFO")) {
                throw new IllegalStateException("bug in the route");
            }
            return ctx.reply(200, "OK");
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        alice.send(alice.request("INFO", "sip:127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(500);
        alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(proxy.stats().routeErrors()).isEqualTo(1);
    }

    @Test
    void secondTerminalActionIsRefused() {
        kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.reply(200, "OK");
            return ctx.reply(404, "Not Found"); // a bug: the first reply already finished the request
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(alice.inboxEmpty()).as("no second reply").isTrue();
    }

    @Test
    void typedGettersReadTheRequest() throws Exception {
        List<String> seen = new ArrayList<>();
        kit.proxy(b -> b.requestRoute(ctx -> {
            seen.add(ctx.method());
            seen.add(ctx.requestUri());
            seen.add(ctx.requestUser());
            seen.add(ctx.requestDomain());
            seen.add(ctx.fromUser());
            seen.add(ctx.toUser());
            seen.add(ctx.sourceIp());
            seen.add(Integer.toString(ctx.sourcePort()));
            seen.add(ctx.userAgent());
            seen.add(Long.toString(ctx.cseq()));
            seen.add(String.valueOf(ctx.hasToTag()));
            return ctx.reply(200, "OK");
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request req = alice.request("MESSAGE", "sip:bob@example.com");
        req.setHeader(kit.codec().headerFactory().createHeader("User-Agent", "softphone 1.0"));
        alice.send(req);
        alice.takeResponse();
        assertThat(seen).containsExactly("MESSAGE", "sip:bob@example.com", "bob", "example.com", "peer", "bob",
                "127.0.0.2", "5062", "softphone 1.0", "1", "false");
    }

    @Test
    void routesLogWithTheCallIdInTheMdc() {
        List<String> seen = new ArrayList<>();
        kit.proxy(b -> b.requestRoute(ctx -> {
            seen.add(org.slf4j.MDC.get("callId"));
            return ctx.reply(200, "OK");
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request req = alice.request("OPTIONS", "sip:127.0.0.1");
        alice.send(req);
        alice.takeResponse();
        assertThat(seen).containsExactly(((CallIdHeader) req.getHeader(CallIdHeader.NAME)).getCallId());
        assertThat(org.slf4j.MDC.get("callId")).as("cleared after the request").isNull();
    }

    @Test
    void ackForStatelessNon2xxIsAbsorbed() {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> ctx.reply(486, "Busy Here")));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request invite = alice.request("INVITE", "sip:bob@127.0.0.1");
        alice.send(invite);
        Response busy = alice.takeResponse();
        assertThat(busy.getStatusCode()).isEqualTo(486);

        Request ack = alice.request("ACK", "sip:bob@127.0.0.1");
        ack.setHeader((CallIdHeader) invite.getHeader(CallIdHeader.NAME));
        ack.setHeader(busy.getHeader(ToHeader.NAME));
        ack.setHeader(invite.getHeader(FromHeader.NAME));
        alice.send(ack);
        assertThat(alice.inboxEmpty()).isTrue();
        assertThat(proxy.stats().requestsRouted()).isEqualTo(1);
        assertThat(proxy.stats().absorbed()).isEqualTo(1);
    }

    @Test
    void retransmissionGetsTheSameStatelessToTag() {
        kit.proxy(b -> b.requestRoute(ctx -> ctx.reply(404, "Not Found")));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request req = alice.request("INVITE", "sip:nobody@127.0.0.1");
        alice.send(req);
        alice.send(req);
        String tag1 = ((ToHeader) alice.takeResponse().getHeader(ToHeader.NAME)).getTag();
        String tag2 = ((ToHeader) alice.takeResponse().getHeader(ToHeader.NAME)).getTag();
        assertThat(tag1).isNotBlank().isEqualTo(tag2);
    }

    /** RFC 3261 §8.2.6.2: Via, From, Call-ID and CSeq copied, To copied plus a tag. */
    static void assertCopiedPerRfc3261(Request req, Response r) {
        ViaHeader reqVia = (ViaHeader) req.getHeader(ViaHeader.NAME);
        ViaHeader respVia = (ViaHeader) r.getHeader(ViaHeader.NAME);
        assertThat(respVia.getBranch()).isEqualTo(reqVia.getBranch());
        assertThat(respVia.getHost()).isEqualTo(reqVia.getHost());
        assertThat(respVia.getRPort()).as("rport filled with the source port").isEqualTo(reqVia.getPort());
        assertThat(respVia.getReceived()).as("received added because rport was asked").isEqualTo(reqVia.getHost());
        assertThat(r.getHeader(FromHeader.NAME)).isEqualTo(req.getHeader(FromHeader.NAME));
        assertThat(r.getHeader(CallIdHeader.NAME)).isEqualTo(req.getHeader(CallIdHeader.NAME));
        assertThat(r.getHeader(CSeqHeader.NAME)).isEqualTo(req.getHeader(CSeqHeader.NAME));
        ToHeader to = (ToHeader) r.getHeader(ToHeader.NAME);
        assertThat(to.getAddress()).isEqualTo(((ToHeader) req.getHeader(ToHeader.NAME)).getAddress());
        assertThat(to.getTag()).isNotBlank();
    }
}
