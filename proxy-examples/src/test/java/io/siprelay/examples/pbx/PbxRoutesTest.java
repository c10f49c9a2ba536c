package io.siprelay.examples.pbx;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.core.transport.TransportType;
import io.siprelay.dispatcher.DispatcherEntry;
import io.siprelay.permissions.AddressEntry;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.concurrent.atomic.AtomicLong;
import javax.sip.InvalidArgumentException;
import javax.sip.header.CSeqHeader;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PBX's route graph on the in-memory network: the same {@link Pbx} as in production (H2 in a temporary
 * directory), on the test kit's network, virtual clock and inline executor.
 */
class PbxRoutesTest {

    static final String DOMAIN = "pbx.test";
    static final String CARRIER_IN = "127.0.0.60";    // address group 200
    static final String CARRIER_OUT = "127.0.0.50";   // --carrier
    private static final AtomicLong SEQ = new AtomicLong();

    @TempDir
    Path dir;

    private final SipTestKit kit = SipTestKit.create();
    private Pbx pbx;

    @AfterEach
    void close() {
        if (pbx != null) {
            pbx.close();
        }
        kit.close();
    }

    private Pbx start(java.util.function.Consumer<PbxConfig> tweak) {
        PbxConfig c = new PbxConfig();
        c.dataDir = dir.toString();
        c.domain = DOMAIN;
        c.mgmt = "off";
        c.probeInterval = 0;
        c.shutdownGrace = 0;
        c.carrier = "sip:" + CARRIER_OUT + ":5060";
        tweak.accept(c);
        pbx = Pbx.builder(c)
                .transports(List.of(kit.network().transport(TransportType.UDP, "127.0.0.1", 5060),
                        kit.network().transport(TransportType.TCP, "127.0.0.1", 5060)))
                .clock(kit.clock()).executor(new InlineExecutor()).codec(kit.codec()).management(false)
                .start();
        pbx.subscribers().add("1001", DOMAIN, "secret1001");
        pbx.subscribers().add("1002", DOMAIN, "secret1002");
        pbx.addresses().add(new AddressEntry(200, CARRIER_IN, 32, 0, "carrier"));
        assertThat(pbx.permissions().reload().ok()).isTrue();
        return pbx;
    }

    private Pbx start() {
        return start(c -> { });
    }

    private Peer peer(String host) {
        return kit.peer(host, 5060).target("127.0.0.1", 5060);
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** A request from {@code peer} as {@code user@pbx.test}. */
    private Request as(Peer peer, String method, String ruri, String fromUser, String toUri) {
        Request r = peer.request(method, ruri);
        try {
            r.setHeader(kit.codec().headerFactory().createFromHeader(
                    kit.codec().addressFactory().createAddress("sip:" + fromUser + "@" + DOMAIN),
                    "f" + SEQ.incrementAndGet()));
            r.setHeader(kit.codec().headerFactory().createToHeader(
                    kit.codec().addressFactory().createAddress(toUri), null));
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    /** The request again as a new transaction (new branch, CSeq + 1) with credentials answering {@code challenge}. */
    private Request withCredentials(Request r, Response challenge, String user, String password) {
        Request n = (Request) r.clone();
        boolean proxy = challenge.getStatusCode() == 407;
        List<String> values = new ArrayList<>();
        for (ListIterator<?> it = challenge.getHeaders(proxy ? "Proxy-Authenticate" : "WWW-Authenticate");
             it.hasNext(); ) {
            String h = it.next().toString();
            values.add(h.substring(h.indexOf(':') + 1).trim());
        }
        String value = Digests.answer(Digests.pick(values), user, password, n.getMethod(),
                n.getRequestURI().toString());
        try {
            ((ViaHeader) n.getHeader(ViaHeader.NAME)).setBranch("z9hG4bKauth" + SEQ.incrementAndGet());
            CSeqHeader cseq = (CSeqHeader) n.getHeader(CSeqHeader.NAME);
            cseq.setSeqNumber(cseq.getSeqNumber() + 1);
            n.setHeader(kit.codec().headerFactory().createHeader(proxy ? "Proxy-Authorization" : "Authorization",
                    value));
        } catch (ParseException | InvalidArgumentException e) {
            throw new IllegalStateException(e);
        }
        return n;
    }

    /** A REGISTER of {@code user} without credentials. */
    private Request registerOf(Peer peer, String user) {
        return as(peer, "REGISTER", "sip:" + DOMAIN, user, "sip:" + user + "@" + DOMAIN);
    }

    /** Sends {@code request} again after each gap of virtual time; every answer must be {@code reply}, byte for byte. */
    private void retransmitAndExpectTheSameReply(Peer peer, Request request, Response reply, long... gapsMillis) {
        for (long gap : gapsMillis) {
            kit.advance(java.time.Duration.ofMillis(gap));
            peer.send(request);
            assertThat(new String(kit.codec().encode(peer.takeResponse())))
                    .isEqualTo(new String(kit.codec().encode(reply)));
        }
    }

    /** REGISTER with digest authentication; returns the 200. */
    private Response register(Peer peer, String user, String password) {
        Request reg = registerOf(peer, user);
        peer.send(reg);
        Response challenge = peer.takeResponse();
        assertThat(challenge).hasStatus(401).hasHeader("WWW-Authenticate");
        peer.send(withCredentials(reg, challenge, user, password));
        Response ok = peer.takeResponse();
        assertThat(ok).hasStatus(200);
        return ok;
    }

    /** An authenticated INVITE from {@code user}: 407, ACK, INVITE with credentials, 100. Returns that INVITE. */
    private Request authenticatedInvite(Peer peer, String user, String password, String ruri) {
        Request invite = as(peer, "INVITE", ruri, user, ruri);
        peer.send(invite);
        Response challenge = peer.takeResponse();
        assertThat(challenge).hasStatus(407).hasHeader("Proxy-Authenticate");
        peer.send(peer.ack(invite, challenge));
        Request again = withCredentials(invite, challenge, user, password);
        peer.send(again);
        assertThat(peer.takeResponse()).hasStatus(100);
        return again;
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    void registerAndCallThroughRecordRoute() {
        start();
        Peer alice = peer("127.0.0.2");
        Peer bob = peer("127.0.0.3");
        register(alice, "1001", "secret1001");
        register(bob, "1002", "secret1002");
        assertThat(pbx.registrar().registered("1002@" + DOMAIN)).isTrue();

        Request invite = authenticatedInvite(alice, "1001", "secret1001", "sip:1002@" + DOMAIN);
        Request atBob = bob.takeRequest();
        assertThat(atBob).isRequest("INVITE").hasHeader("Record-Route").doesNotHaveHeader("Proxy-Authorization");
        assertThat(atBob.getRequestURI().toString()).isEqualTo("sip:peer@127.0.0.3:5060");
        bob.reply(atBob, 180);
        bob.reply(atBob, 200);
        assertThat(alice.takeResponse()).hasStatus(180);
        Response okAtAlice = alice.takeResponse();
        assertThat(okAtAlice).hasStatus(200).hasHeader("Record-Route");

        alice.send(alice.ack(invite, okAtAlice));
        assertThat(bob.takeRequest()).isRequest("ACK");
        alice.send(alice.inDialog("BYE", invite, okAtAlice, 3));
        Request bye = bob.takeRequest();
        assertThat(bye).isRequest("BYE");
        bob.reply(bye, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(pbx.counters().registrations()).containsEntry("inserted", 2L);
        assertThat(pbx.counters().repliesByCode()).containsEntry(180, 1L).containsEntry(200, 2L);
        assertThat(pbx.counters().answerCount("INVITE")).isEqualTo(1);
        assertThat(pbx.counters().answerCount("BYE")).isEqualTo(1);
        String metrics = io.siprelay.examples.management.PbxMetrics.bind(pbx).scrape();
        assertThat(metrics).contains("siprelay_replies_total{class=\"1xx\",code=\"180\"} 1.0")
                .contains("siprelay_relay_answer_seconds_count{method=\"INVITE\"} 1")
                .contains("siprelay_requests_total{method=\"BYE\"} 1.0");
    }

    @Test
    void carrierCallToUnregisteredUserIs404() {
        start();
        Peer carrier = peer(CARRIER_IN);
        Request invite = carrier.request("INVITE", "sip:1002@" + DOMAIN);
        carrier.send(invite);
        assertThat(carrier.takeResponse()).hasStatus(404).hasReason("User not Registered");
        assertThat(pbx.counters().fromCarrier()).isEqualTo(1);
    }

    @Test
    void carrierCallToRegisteredUserIsRelayedWithoutAuth() {
        start();
        Peer bob = peer("127.0.0.3");
        register(bob, "1002", "secret1002");
        Peer carrier = peer(CARRIER_IN);
        carrier.send(carrier.request("INVITE", "sip:1002@" + DOMAIN));
        assertThat(carrier.takeResponse()).hasStatus(100);
        assertThat(bob.takeRequest()).isRequest("INVITE");
    }

    @Test
    void unauthenticatedInviteFromStrangerAddressIs407() {
        start();
        Peer mallory = peer("127.0.0.66");
        mallory.send(as(mallory, "INVITE", "sip:1002@" + DOMAIN, "1001", "sip:1002@" + DOMAIN));
        assertThat(mallory.takeResponse()).hasStatus(407).hasHeader("Proxy-Authenticate");
        assertThat(pbx.counters().authFailures()).containsEntry("no_credentials", 1L);
    }

    @Test
    void wrongPasswordIsChallengedAgain() {
        start();
        Peer alice = peer("127.0.0.2");
        Request reg = registerOf(alice, "1001");
        alice.send(reg);
        Response challenge = alice.takeResponse();
        alice.send(withCredentials(reg, challenge, "1001", "wrong"));
        assertThat(alice.takeResponse()).hasStatus(401);
        assertThat(pbx.registrar().registered("1001@" + DOMAIN)).isFalse();
    }

    @Test
    void foreignFromDomainIs403() {
        start();
        Peer eve = peer("127.0.0.66");
        Request r = eve.request("INVITE", "sip:1002@" + DOMAIN);   // From sip:peer@127.0.0.66
        eve.send(r);
        assertThat(eve.takeResponse()).hasStatus(403);
    }

    @Test
    void maxForwardsZeroIs483() throws InvalidArgumentException {
        start();
        Peer alice = peer("127.0.0.2");
        Request r = as(alice, "INVITE", "sip:1002@" + DOMAIN, "1001", "sip:1002@" + DOMAIN);
        ((MaxForwardsHeader) r.getHeader(MaxForwardsHeader.NAME)).setMaxForwards(0);
        alice.send(r);
        assertThat(alice.takeResponse()).hasStatus(483);
    }

    @Test
    void optionsKeepaliveIs200() {
        start();
        Peer alice = peer("127.0.0.2");
        alice.send(alice.request("OPTIONS", "sip:" + DOMAIN));
        assertThat(alice.takeResponse()).hasStatus(200);
    }

    @Test
    void unhandledMethodIs501() {
        start();
        Peer alice = peer("127.0.0.2");
        alice.send(as(alice, "MESSAGE", "sip:1002@" + DOMAIN, "1001", "sip:1002@" + DOMAIN));
        assertThat(alice.takeResponse()).hasStatus(501).hasReason("Not Implemented");
    }

    @Test
    void cancelOfRingingCallIs487() {
        start();
        Peer alice = peer("127.0.0.2");
        Peer bob = peer("127.0.0.3");
        register(alice, "1001", "secret1001");
        register(bob, "1002", "secret1002");
        Request invite = authenticatedInvite(alice, "1001", "secret1001", "sip:1002@" + DOMAIN);
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 180);
        assertThat(alice.takeResponse()).hasStatus(180);

        alice.send(alice.cancel(invite));
        Response cancelOk = alice.takeResponse();
        assertThat(cancelOk).hasStatus(200);
        assertThat(((CSeqHeader) cancelOk.getHeader(CSeqHeader.NAME)).getMethod()).isEqualTo("CANCEL");
        Request cancel = bob.takeRequest();
        assertThat(cancel).isRequest("CANCEL");
        bob.reply(cancel, 200);
        bob.reply(atBob, 487);
        assertThat(alice.takeResponse()).hasStatus(487);
    }

    @Test
    void nonLocalNumberGoesToTheCarrier() {
        start();
        Peer alice = peer("127.0.0.2");
        Peer carrier = peer(CARRIER_OUT);
        register(alice, "1001", "secret1001");
        authenticatedInvite(alice, "1001", "secret1001", "sip:+15551234567@" + DOMAIN);
        Request atCarrier = carrier.takeRequest();
        assertThat(atCarrier).isRequest("INVITE").doesNotHaveHeader("Proxy-Authorization");
        assertThat(atCarrier.getRequestURI().toString()).isEqualTo("sip:+15551234567@" + CARRIER_OUT + ":5060");
        carrier.reply(atCarrier, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(pbx.counters().toCarrier()).isEqualTo(1);
    }

    @Test
    void localButUnregisteredUserIs404() {
        start();
        Peer alice = peer("127.0.0.2");
        register(alice, "1001", "secret1001");
        Request invite = as(alice, "INVITE", "sip:1002@" + DOMAIN, "1001", "sip:1002@" + DOMAIN);
        alice.send(invite);
        Response challenge = alice.takeResponse();
        alice.send(alice.ack(invite, challenge));
        alice.send(withCredentials(invite, challenge, "1001", "secret1001"));
        assertThat(alice.takeResponse()).hasStatus(404).hasReason("User not Registered");
    }

    @Test
    void dispatcherSetFailsOverOn503() {
        start(c -> {
            c.carrier = null;
            c.dispatcherSet = 1;
            c.dispatcherAlgorithm = 8; // priority
        });
        pbx.dispatcher().add(DispatcherEntry.of(1, "sip:127.0.0.51:5060", 0, 10, "duid=gw1"));
        pbx.dispatcher().add(DispatcherEntry.of(1, "sip:127.0.0.52:5060", 0, 5, "duid=gw2"));
        Peer alice = peer("127.0.0.2");
        Peer gw1 = peer("127.0.0.51");
        Peer gw2 = peer("127.0.0.52");
        register(alice, "1001", "secret1001");
        authenticatedInvite(alice, "1001", "secret1001", "sip:+15551234567@" + DOMAIN);

        Request first = gw1.takeRequest();
        assertThat(first).isRequest("INVITE");
        gw1.reply(first, 503);
        Request second = gw2.takeRequest();
        assertThat(second).isRequest("INVITE");
        gw2.reply(second, 180);
        gw2.reply(second, 200);
        assertThat(alice.takeResponse()).hasStatus(180);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(pbx.counters().failovers()).isEqualTo(1);
    }

    @Test
    void dispatcherSetWithEveryGatewayDownIs503() {
        start(c -> {
            c.carrier = null;
            c.dispatcherSet = 1;
        });
        pbx.dispatcher().add(DispatcherEntry.of(1, "sip:127.0.0.51:5060"));
        pbx.dispatcher().setState("d", 1, "all");
        Peer alice = peer("127.0.0.2");
        register(alice, "1001", "secret1001");
        Request invite = as(alice, "INVITE", "sip:+15551234567@" + DOMAIN, "1001", "sip:+15551234567@" + DOMAIN);
        alice.send(invite);
        Response challenge = alice.takeResponse();
        alice.send(alice.ack(invite, challenge));
        alice.send(withCredentials(invite, challenge, "1001", "secret1001"));
        assertThat(alice.takeResponse()).hasStatus(503);
    }

    @Test
    void probingTakesASilentGatewayOutOfTheSet() {
        start(c -> {
            c.carrier = null;
            c.dispatcherSet = 1;
            c.dispatcherAlgorithm = 4; // round robin
            c.probeInterval = 5;
            c.probeTimeout = 1;
        });
        pbx.dispatcher().add(DispatcherEntry.of(1, "sip:127.0.0.51:5060"));
        pbx.dispatcher().add(DispatcherEntry.of(1, "sip:127.0.0.52:5060"));
        Peer gw1 = peer("127.0.0.51");   // never answers
        Peer gw2 = peer("127.0.0.52");
        kit.advance(java.time.Duration.ZERO);   // the first probe round is due at once
        assertThat(gw1.takeRequest()).isRequest("OPTIONS");
        Request probe = gw2.takeRequest();
        assertThat(probe).isRequest("OPTIONS");
        gw2.reply(probe, 200);
        kit.advance(java.time.Duration.ofSeconds(2));
        assertThat(pbx.dispatcher().destination(1, "sip:127.0.0.51:5060").state()).isEqualTo("IP");
        assertThat(pbx.dispatcher().destination(1, "sip:127.0.0.52:5060").state()).startsWith("A");

        Peer alice = peer("127.0.0.2");
        register(alice, "1001", "secret1001");
        for (int i = 0; i < 2; i++) {
            authenticatedInvite(alice, "1001", "secret1001", "sip:+1555000000" + i + "@" + DOMAIN);
            Request r = gw2.takeRequest();
            while (!r.getMethod().equals("INVITE")) {   // probes, and the ACK of the last 486
                if (r.getMethod().equals("OPTIONS")) {
                    gw2.reply(r, 200);
                }
                r = gw2.takeRequest();
            }
            assertThat(r).isRequest("INVITE");
            gw2.reply(r, 486);
            assertThat(alice.takeResponse()).hasStatus(486);   // busy is an answer, not a gateway failure
        }
        assertThat(pbx.counters().failovers()).isZero();
    }

    @Test
    void weightsSplitCallsExactly() {
        start(c -> {
            c.carrier = null;
            c.dispatcherSet = 2;
            c.dispatcherAlgorithm = 9; // weight
        });
        pbx.dispatcher().add(DispatcherEntry.of(2, "sip:127.0.0.51:5060", 0, 0, "weight=25"));
        pbx.dispatcher().add(DispatcherEntry.of(2, "sip:127.0.0.52:5060", 0, 0, "weight=75"));
        Peer alice = peer("127.0.0.2");
        Peer gw1 = peer("127.0.0.51");
        Peer gw2 = peer("127.0.0.52");
        register(alice, "1001", "secret1001");
        int toGw1 = 0;
        int toGw2 = 0;
        for (int i = 0; i < 4; i++) {
            kit.advance(java.time.Duration.ofSeconds(3)); // stay below the flood detector's density
            authenticatedInvite(alice, "1001", "secret1001", "sip:+1555000100" + i + "@" + DOMAIN);
            if (!gw1.inboxEmpty()) {
                gw1.reply(gw1.takeRequest(), 200);
                toGw1++;
            } else {
                gw2.reply(gw2.takeRequest(), 200);
                toGw2++;
            }
            assertThat(alice.takeResponse()).hasStatus(200);
        }
        assertThat(toGw1).isEqualTo(1);
        assertThat(toGw2).isEqualTo(3);
    }

    @Test
    void drainingRefusesNewCallsButLetsDialogsFinish() {
        start();
        Peer alice = peer("127.0.0.2");
        Peer bob = peer("127.0.0.3");
        register(alice, "1001", "secret1001");
        register(bob, "1002", "secret1002");
        Request invite = authenticatedInvite(alice, "1001", "secret1001", "sip:1002@" + DOMAIN);
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 200);
        Response ok = alice.takeResponse();
        assertThat(ok).hasStatus(200);

        pbx.beginDrain();
        alice.send(as(alice, "INVITE", "sip:1002@" + DOMAIN, "1001", "sip:1002@" + DOMAIN));
        assertThat(alice.takeResponse()).hasStatus(503).hasHeader("Retry-After");
        alice.send(alice.inDialog("BYE", invite, ok, 5));
        Request bye = bob.takeRequest();
        while (!bye.getMethod().equals("BYE")) {
            bye = bob.takeRequest();
        }
        bob.reply(bye, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(pbx.counters().shutdownRejected()).isEqualTo(1);
    }

    // ------------------------------------------------------------------------------------------ issue #12

    @Test
    void defaultChallengeIsOneMd5ChallengeAndSha256IsOptIn() {
        start();
        Peer alice = peer("127.0.0.2");
        alice.send(registerOf(alice, "1001"));
        Response c = alice.takeResponse();
        assertThat(c).hasStatus(401).hasHeaderCount("WWW-Authenticate", 1);
        assertThat(c.getHeader("WWW-Authenticate").toString()).contains("algorithm=MD5", "qop=\"auth\"");
    }

    /**
     * RFC 3261 §17.2.2 for stateless replies (issue #18): a REGISTER retransmitted after its 401 went out gets the
     * very same 401 (same nonce, same To tag), and a retransmitted authenticated REGISTER the very same 200, over
     * T1, 2×T1, 4×T1 of virtual time; the route does not run again. A fresh 401 with a new nonce would fail a client
     * that already answered the first one.
     */
    @Test
    void retransmittedRegisterGetsTheIdenticalReplyAgain() {
        start();
        Peer alice = peer("127.0.0.2");
        Request reg = registerOf(alice, "1001");
        alice.send(reg);
        Response challenge = alice.takeResponse();
        assertThat(challenge).hasStatus(401);
        long routed = pbx.proxy().stats().requestsRouted();
        retransmitAndExpectTheSameReply(alice, reg, challenge, 500, 1000, 2000);
        Request authed = withCredentials(reg, challenge, "1001", "secret1001");
        alice.send(authed);
        Response ok = alice.takeResponse();
        assertThat(ok).hasStatus(200).hasHeader("Contact");
        retransmitAndExpectTheSameReply(alice, authed, ok, 500, 1000, 2000);
        assertThat(pbx.proxy().stats().requestsRouted()).isEqualTo(routed + 1); // only the authenticated REGISTER
        assertThat(alice.inboxEmpty()).isTrue();

        // after 64×T1 the record is gone: a late copy is a new request again (and gets a fresh challenge)
        kit.advance(java.time.Duration.ofSeconds(33));
        alice.send(reg);
        Response late = alice.takeResponse();
        assertThat(late).hasStatus(401);
        assertThat(pbx.proxy().stats().requestsRouted()).isEqualTo(routed + 2);
    }

    @Test
    void sha256FirstWhenConfigured() {
        start(c -> c.digestAlgorithms = "sha-256,md5");
        Peer alice = peer("127.0.0.2");
        alice.send(registerOf(alice, "1001"));
        Response c = alice.takeResponse();
        assertThat(c).hasStatus(401).hasHeaderCount("WWW-Authenticate", 2);
        assertThat(c.getHeaders("WWW-Authenticate").next().toString()).contains("algorithm=SHA-256");
        register(peer("127.0.0.3"), "1002", "secret1002"); // an MD5 client still registers
    }

    @Test
    void monitoringToolsAreAnsweredAndScannersDropped() throws ParseException {
        start();
        Peer mon = peer("127.0.0.2");
        for (String ua : List.of("sipsak 0.9.8.1", "SIPp", "baresip v1.0.0")) {
            Request r = mon.request("OPTIONS", "sip:127.0.0.1");
            r.setHeader(kit.codec().headerFactory().createHeader("User-Agent", ua));
            mon.send(r);
            assertThat(mon.takeResponse()).as(ua).hasStatus(200);
        }
        Request scan = mon.request("OPTIONS", "sip:100@127.0.0.1");
        scan.setHeader(kit.codec().headerFactory().createHeader("User-Agent", "friendly-scanner"));
        mon.send(scan);
        assertThat(mon.inboxEmpty()).isTrue();
    }

    @Test
    void floodDetectionBlocksStrangersButNeverTheCarrierGroup() {
        start(c -> c.floodDensity = 5);
        Peer carrier = peer(CARRIER_IN);
        Peer stranger = peer("127.0.0.9");
        int carrierAnswers = 0;
        int strangerAnswers = 0;
        for (int i = 0; i < 20; i++) {
            carrier.send(carrier.request("OPTIONS", "sip:" + DOMAIN));
            stranger.send(stranger.request("OPTIONS", "sip:" + DOMAIN));
            while (!carrier.inboxEmpty()) {
                carrier.take();
                carrierAnswers++;
            }
            while (!stranger.inboxEmpty()) {
                stranger.take();
                strangerAnswers++;
            }
        }
        assertThat(carrierAnswers).isEqualTo(20);
        assertThat(strangerAnswers).isLessThan(20);
        assertThat(pbx.flood().blockedSources()).containsExactly("127.0.0.9");
    }

    /**
     * Issue #12, NAT: 1002's phone is behind NAT (Via and Contact 192.168.1.20:5060, packets from 127.0.0.3:5070, no
     * rport). It registers through the 401 (answers reach its public port), a call from 1001 reaches it at that public
     * address, 1001 gets its answer with an aliased Contact so the BYE finds it too, and keep-alive pings go to it.
     */
    @Test
    void phoneBehindNatRegistersGetsCallsAndKeepalives() throws Exception {
        start(c -> c.natPingInterval = 30);
        Peer alice = peer("127.0.0.2");
        Peer bob = kit.peer("127.0.0.3", 5070).target("127.0.0.1", 5060);
        register(alice, "1001", "secret1001");

        Request reg = as(bob, "REGISTER", "sip:" + DOMAIN, "1002", "sip:1002@" + DOMAIN);
        natted(reg, "1002", "192.168.1.20", 5060);
        bob.send(reg);
        Response challenge = bob.takeResponse();
        assertThat(challenge).hasStatus(401);
        Request reg2 = withCredentials(reg, challenge, "1002", "secret1002");
        natted(reg2, "1002", "192.168.1.20", 5060);
        bob.send(reg2);
        assertThat(bob.takeResponse()).hasStatus(200);
        assertThat(pbx.registrar().contacts("1002@" + DOMAIN).get(0).received()).isEqualTo("sip:127.0.0.3:5070");

        Request invite = authenticatedInvite(alice, "1001", "secret1001", "sip:1002@" + DOMAIN);
        Request atBob = bob.takeRequest();
        assertThat(atBob.getRequestURI().toString()).isEqualTo("sip:1002@192.168.1.20:5060");
        Response ok = bob.response(atBob, 200);
        ok.setHeader(kit.codec().headerFactory().createHeader("Contact", "<sip:1002@192.168.1.20:5060>"));
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        assertThat(okAtAlice).hasStatus(200);
        alice.send(alice.ack(invite, okAtAlice));
        assertThat(bob.takeRequest()).isRequest("ACK");
        alice.send(alice.inDialog("BYE", invite, okAtAlice, 3));
        Request bye = bob.takeRequest();
        assertThat(bye).isRequest("BYE");
        assertThat(bye.getRequestURI().toString()).isEqualTo("sip:1002@192.168.1.20:5060");
        bob.reply(bye, 200);
        assertThat(alice.takeResponse()).hasStatus(200);

        kit.advance(java.time.Duration.ofSeconds(31));
        List<String> atBobNow = bob.inbox().stream().filter(io.siprelay.core.codec.SipMessage::isRequest)
                .map(io.siprelay.core.codec.SipMessage::method).toList();
        assertThat(atBobNow).as("a keep-alive OPTIONS to the public address").contains("OPTIONS");
        assertThat(pbx.natKeepalive().sent()).isGreaterThanOrEqualTo(1);
        assertThat(alice.inbox().stream().filter(io.siprelay.core.codec.SipMessage::isRequest)).as("1001 is not NATed")
                .isEmpty();
    }

    /**
     * Found with baresip (issue #12): the PBX on 127.0.0.1:5090 with the default domain 127.0.0.1; a phone's From is
     * {@code sip:1001@127.0.0.1} (no port). It is our domain, not a stranger's (used to be 403 "Don't know who you
     * are", because the From URI's implied port 5060 was not a listen port).
     */
    @Test
    void fromDomainIsOursWhateverPortTheFromUriImplies() {
        PbxConfig c = new PbxConfig();
        c.listen = List.of("udp:127.0.0.1:5090");
        c.dataDir = dir.toString();
        c.mgmt = "off";
        c.probeInterval = 0;
        c.shutdownGrace = 0;
        pbx = Pbx.builder(c).transports(List.of(kit.network().transport(TransportType.UDP, "127.0.0.1", 5090)))
                .clock(kit.clock()).executor(new InlineExecutor()).codec(kit.codec()).management(false).start();
        pbx.subscribers().add("1001", "127.0.0.1", "secret1001");
        Peer alice = kit.peer("127.0.0.2", 5060).target("127.0.0.1", 5090);
        Request invite = alice.request("INVITE", "sip:1002@127.0.0.1");
        try {
            invite.setHeader(kit.codec().headerFactory().createHeader("From", "<sip:1001@127.0.0.1>;tag=a1"));
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
        alice.send(invite);
        assertThat(alice.takeResponse()).hasStatus(407);
    }

    /** A REGISTER as a NATed phone sends it: Via and Contact with its private address, no rport. */
    private void natted(Request r, String user, String host, int port) throws ParseException,
            InvalidArgumentException {
        ViaHeader via = (ViaHeader) r.getHeader(ViaHeader.NAME);
        via.setHost(host);
        via.setPort(port);
        via.removeParameter("rport");
        r.setHeader(kit.codec().headerFactory().createHeader("Contact", "<sip:" + user + "@" + host + ":" + port
                + ">"));
    }
}
