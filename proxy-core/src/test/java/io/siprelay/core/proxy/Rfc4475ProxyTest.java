package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.codec.Rfc4475Corpus;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.core.transport.memory.InMemoryNetwork.Packet;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.sip.header.MaxForwardsHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The RFC 4475 torture messages through the whole proxy (in-memory UDP), in the proxy role: a route that forwards
 * everything to a next hop. What goes on the wire is checked: forwarded, a reply with a status code, or nothing.
 */
class Rfc4475ProxyTest {

    private static final String FORWARDED = "forwarded";
    private static final String DROPPED = "dropped";

    /**
     * What the proxy does with each message. Where this differs from the manifest's expectation it is a role
     * decision or a documented deviation, said in the comment.
     */
    private static final Map<String, String> EXPECTED = Map.ofEntries(
            // 3.1.1 valid messages: requests are forwarded; responses whose top Via is not ours are dropped
            Map.entry("wsinv.dat", FORWARDED),
            Map.entry("intmeth.dat", FORWARDED),
            Map.entry("esc01.dat", FORWARDED),
            Map.entry("escnull.dat", FORWARDED),
            Map.entry("esc02.dat", FORWARDED),
            Map.entry("lwsdisp.dat", FORWARDED),
            Map.entry("longreq.dat", FORWARDED),
            Map.entry("dblreq.dat", FORWARDED),
            Map.entry("semiuri.dat", FORWARDED),
            Map.entry("transports.dat", FORWARDED),
            Map.entry("mpart01.dat", FORWARDED),
            Map.entry("unreason.dat", DROPPED), // a valid response, but not to anything we sent
            Map.entry("noreason.dat", DROPPED), // likewise
            // 3.1.2 invalid messages
            Map.entry("badinv01.dat", DROPPED), // deviation: its Via does not parse, so there is nowhere to answer
            Map.entry("clerr.dat", "400"),
            Map.entry("ncl.dat", "400"),
            Map.entry("scalar02.dat", DROPPED), // deviation: CSeq 2^65 breaks the RI's CSeq, no reply can be built
            Map.entry("scalarlg.dat", DROPPED),
            Map.entry("quotbal.dat", DROPPED), // deviation: To does not parse, no reply can be built
            Map.entry("ltgtruri.dat", "400"),
            Map.entry("lwsruri.dat", "400"),
            Map.entry("lwsstart.dat", "400"),
            Map.entry("trws.dat", "400"),
            Map.entry("escruri.dat", "400"),
            Map.entry("baddate.dat", "400"),
            Map.entry("regbadct.dat", "400"),
            Map.entry("badaspec.dat", "400"),
            Map.entry("baddn.dat", "400"),
            Map.entry("badvers.dat", "505"),
            Map.entry("mismatch01.dat", "400"),
            Map.entry("mismatch02.dat", "501"),
            Map.entry("bigcode.dat", DROPPED),
            // 3.2
            Map.entry("badbranch.dat", FORWARDED),
            // 3.3 application layer
            Map.entry("insuf.dat", DROPPED), // deviation: no Call-ID/From/To, so no 400 can be built
            Map.entry("unkscm.dat", "416"),
            Map.entry("novelsc.dat", "416"),
            Map.entry("unksm2.dat", FORWARDED), // proxy role: "proxies route normally"; a registrar answers 400
            Map.entry("bext01.dat", "420"),
            Map.entry("invut.dat", FORWARDED), // proxy role: proxies forward unknown bodies; a UAS answers 415
            Map.entry("regaut01.dat", FORWARDED), // no authentication in this route; an auth registrar answers 401
            Map.entry("multi01.dat", "400"),
            Map.entry("mcl01.dat", "400"),
            Map.entry("bcast.dat", DROPPED), // never forwarded to the broadcast address
            Map.entry("zeromf.dat", "483"),
            Map.entry("sdp01.dat", FORWARDED), // proxy role: a UAS answers 406
            Map.entry("cparam01.dat", FORWARDED),
            Map.entry("cparam02.dat", FORWARDED),
            Map.entry("regescrt.dat", FORWARDED),
            // 3.4
            Map.entry("inv2543.dat", FORWARDED));

    private static final Map<String, String> RESULTS = new TreeMap<>();
    private static final SipCodec CODEC = SipCodec.create();

    static Stream<Arguments> corpus() {
        return Rfc4475Corpus.manifest().stream().map(r -> Arguments.of(r.file(), r.expected()));
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("corpus")
    void proxyHandlesTortureMessage(String file, String rfcExpectation) throws Exception {
        String actual;
        try (SipTestKit kit = SipTestKit.create()) {
            kit.proxy(b -> b.requestRoute(ctx -> {
                ctx.setDestination("sip:127.0.0.3:5060");
                return ctx.forward();
            }));
            kit.network().startCapture();
            Peer sender = kit.peer("127.0.0.2", 5060);
            kit.peer("127.0.0.3", 5060);
            sender.sendRaw(Rfc4475Corpus.bytes(file));
            kit.runUntilIdle();
            List<Packet> sent = kit.network().takeCaptured(SipTestKit.PROXY_HOST, SipTestKit.PROXY_PORT);
            actual = outcome(sent);
            if (FORWARDED.equals(actual)) {
                SipMessage fwd = CODEC.parse(sent.get(0).data());
                MaxForwardsHeader mf = (MaxForwardsHeader) fwd.request().getHeader(MaxForwardsHeader.NAME);
                assertThat(mf).as("Max-Forwards present after forwarding").isNotNull();
            }
        }
        RESULTS.put(file, rfcExpectation + " | " + actual);
        assertThat(actual).as(file).isEqualTo(EXPECTED.get(file));
    }

    private static String outcome(List<Packet> sent) throws Exception {
        if (sent.isEmpty()) {
            return DROPPED;
        }
        assertThat(sent).as("one message out").hasSize(1);
        Packet p = sent.get(0);
        if (p.to().equals(new InetSocketAddress("127.0.0.3", 5060))) {
            return FORWARDED;
        }
        return Integer.toString(CODEC.parse(p.data()).statusCode());
    }

    @AfterAll
    static void writeTable() throws IOException {
        StringBuilder sb = new StringBuilder("| file | RFC 4475 expectation | proxy on the wire |\n|---|---|---|\n");
        RESULTS.forEach((f, r) -> sb.append("| ").append(f).append(" | ").append(r.replace(" | ", " | "))
                .append(" |\n"));
        Path out = Path.of("target", "rfc4475-proxy-results.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, sb.toString());
    }
}
