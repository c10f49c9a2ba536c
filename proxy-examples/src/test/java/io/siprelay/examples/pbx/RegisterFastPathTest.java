package io.siprelay.examples.pbx;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.InMemorySubscriberStore;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.registrar.Registrar;
import io.siprelay.registrar.store.MemoryLocationStore;
import javax.sip.header.CSeqHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kamailio's registrar.cfg in SipRelay ({@code www_authorize}, {@code www_challenge}, {@code save}): the 401 and the
 * 200 are cut from the REGISTER's bytes, with its Authorization, Contact and Expires read from them, and the
 * REGISTER is never parsed in full. A route that asks for more (here: a header only the parser can split) still
 * gets it.
 */
class RegisterFastPathTest {

    private static final String DOMAIN = "pbx.test";

    private final SipTestKit kit = SipTestKit.create();
    private final InMemorySubscriberStore subscribers = new InMemorySubscriberStore();
    private Registrar registrar;

    @AfterEach
    void close() {
        kit.close();
    }

    private Peer start(boolean readAnUnknownHeader) {
        subscribers.add("alice", DOMAIN, "wonderland");
        DigestAuth auth = DigestAuth.builder().subscribers(subscribers).clock(kit.clock())
                .secret("0123456789abcdef0123".getBytes()).build();
        registrar = Registrar.builder().clock(kit.clock()).store(new MemoryLocationStore(kit.clock())).build();
        kit.proxy(b -> b.requestRoute(Route.named("request_route", ctx -> {
            if (readAnUnknownHeader) {
                ctx.headers("X-Tenant");
            }
            AuthResult r = auth.wwwCheck(ctx, DOMAIN);
            if (!r.isOk()) {
                return auth.wwwChallenge(ctx, DOMAIN);
            }
            return ctx.route(registrar.save());
        })));
        return kit.peer("127.0.0.2", 5060);
    }

    /** Registers through the 401; the authenticated REGISTER goes as text with {@code contact} as its Contact value. */
    private Response register(Peer alice, String contact) throws Exception {
        String authed = new String(kit.codec().encode(authenticated(alice)), java.nio.charset.StandardCharsets.UTF_8);
        alice.sendRaw(authed.replace(FIRST_CONTACT, contact));
        return alice.takeResponse();
    }

    private static final String FIRST_CONTACT = "<sip:alice@127.0.0.2:5060>";

    /** Sends the REGISTER, takes its 401 and returns the REGISTER with credentials (not sent). */
    private Request authenticated(Peer alice) throws Exception {
        Request reg = alice.request("REGISTER", "sip:" + DOMAIN);
        var hf = kit.codec().headerFactory();
        var af = kit.codec().addressFactory();
        reg.setHeader(hf.createFromHeader(af.createAddress("sip:alice@" + DOMAIN), "f1"));
        reg.setHeader(hf.createToHeader(af.createAddress("sip:alice@" + DOMAIN), null));
        reg.setHeader(hf.createHeader("Contact", FIRST_CONTACT));
        reg.setHeader(hf.createExpiresHeader(600));
        reg.setHeader(hf.createHeader("X-Tenant", "a, b"));
        alice.send(reg);
        Response challenge = alice.takeResponse();
        assertThat(challenge).hasStatus(401).hasHeader("WWW-Authenticate");
        String ch = challenge.getHeader("WWW-Authenticate").toString();
        Request authed = (Request) reg.clone();
        authed.setHeader(hf.createHeader("Authorization", Digests.answer(
                Digests.params(ch.substring(ch.indexOf(':') + 1)), "alice", "wonderland", "REGISTER",
                "sip:" + DOMAIN)));
        ((ViaHeader) authed.getHeader(ViaHeader.NAME)).setBranch("z9hG4bKauth2");
        ((CSeqHeader) authed.getHeader(CSeqHeader.NAME)).setSeqNumber(2);
        return authed;
    }

    @Test
    void theChallengeAndTheSaveNeedNoFullParse() throws Exception {
        Peer alice = start(false);
        Response ok = register(alice, "<sip:alice@127.0.0.2:5060>;q=0.5, <sip:alice@127.0.0.2:5070>");
        assertThat(ok).hasStatus(200).hasHeaderCount("Contact", 2).hasHeader("Date");
        assertThat(ok.getHeader("Contact").toString()).contains("expires=600");
        assertThat(registrar.contacts("alice@" + DOMAIN)).hasSize(2);
        assertThat(kit.codec().deferredRequestParses()).as("REGISTERs parsed in full").isZero();
    }

    @Test
    void aRouteThatNeedsTheParserStillGetsIt() throws Exception {
        Peer alice = start(true);
        Response ok = register(alice, "<sip:alice@127.0.0.2:5060>");
        assertThat(ok).hasStatus(200).hasHeaderCount("Contact", 1);
        assertThat(kit.codec().deferredRequestParses()).isEqualTo(2);
    }

    @Test
    void aMalformedContactIsRefusedWith400() throws Exception {
        Peer alice = start(false);
        assertThat(register(alice, "<sip:alice@127.0.0.2:5060;expires=60")).hasStatus(400);
        assertThat(registrar.contacts("alice@" + DOMAIN)).isEmpty();
    }
}
