package io.siprelay.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import javax.sip.message.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 4475 torture tests against the codec, driven by {@code rfc4475/MANIFEST.tsv}. The expected codec outcome of
 * every row is spelled out in {@link #EXPECT}: the codec decides what syntax and sanity checks decide; role-dependent
 * answers (483, 415, 401, 406, registrar 400, broadcast drop) are left to the proxy, so those rows must parse here.
 * Writes {@code target/rfc4475-results.md}.
 */
class Rfc4475CodecTest {

    enum Outcome { PARSE, REJECT, DROP }

    /**
     * @param manifest  the manifest's expected column, checked so the table cannot drift from the corpus
     * @param outcome   what the codec must do
     * @param code      status code of the rejection (REJECT)
     * @param canReply  whether the rejection must be answerable (REJECT)
     * @param deviation null, or why the codec outcome differs from the RFC's
     */
    record Expect(String manifest, Outcome outcome, int code, boolean canReply, String deviation) {
        static Expect parse(String manifest) {
            return new Expect(manifest, Outcome.PARSE, 0, false, null);
        }

        /** Role-dependent: the RFC's code is decided above the codec. */
        static Expect parseForRole(String manifest) {
            return new Expect(manifest, Outcome.PARSE, 0, false, null);
        }

        static Expect reject(String manifest, int code) {
            return new Expect(manifest, Outcome.REJECT, code, true, null);
        }

        static Expect drop(String manifest) {
            return new Expect(manifest, Outcome.DROP, 0, false, null);
        }

        Expect unanswerable(String why) {
            return new Expect(manifest, outcome, code, false, why);
        }
    }

    static final Map<String, Expect> EXPECT = Map.ofEntries(
            // 3.1.1 valid messages
            Map.entry("wsinv.dat", Expect.parse("parse-valid")),
            Map.entry("intmeth.dat", Expect.parse("parse-valid")),
            Map.entry("esc01.dat", Expect.parse("parse-valid")),
            Map.entry("escnull.dat", Expect.parse("parse-valid")),
            Map.entry("esc02.dat", Expect.parse("parse-valid")),
            Map.entry("lwsdisp.dat", Expect.parse("parse-valid")),
            Map.entry("longreq.dat", Expect.parse("parse-valid")),
            Map.entry("dblreq.dat", Expect.parse("parse-valid")),
            Map.entry("semiuri.dat", Expect.parse("parse-valid")),
            Map.entry("transports.dat", Expect.parse("parse-valid")),
            Map.entry("mpart01.dat", Expect.parse("parse-valid")),
            Map.entry("unreason.dat", Expect.parse("parse-valid")),
            Map.entry("noreason.dat", Expect.parse("parse-valid")),
            // 3.1.2 invalid messages
            // The broken header is the Via: a reply has no Via to travel back on, so the 400 cannot be sent.
            Map.entry("badinv01.dat", Expect.reject("parse-invalid 400", 400)
                    .unanswerable("Via unparseable: no Via to route the 400 back, request dropped")),
            Map.entry("clerr.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("ncl.dat", Expect.reject("parse-invalid 400", 400)),
            // The CSeq number overflows: the RI cannot build a CSeq header, so no reply can copy it (drop).
            Map.entry("scalar02.dat", Expect.reject("parse-invalid 400", 400)
                    .unanswerable("CSeq unparseable (2^65): no CSeq to copy into the 400, request dropped")),
            Map.entry("scalarlg.dat", Expect.drop("parse-invalid drop")),
            // The broken header is To, which the RI cannot build: the reply could not copy it.
            Map.entry("quotbal.dat", Expect.reject("parse-invalid 400", 400)
                    .unanswerable("To unparseable: no To to copy into the 400, request dropped")),
            Map.entry("ltgtruri.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("lwsruri.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("lwsstart.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("trws.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("escruri.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("baddate.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("regbadct.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("badaspec.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("baddn.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("badvers.dat", Expect.reject("parse-invalid 505", 505)),
            Map.entry("mismatch01.dat", Expect.reject("parse-invalid 400", 400)),
            Map.entry("mismatch02.dat", Expect.reject("parse-invalid 501", 501)),
            Map.entry("bigcode.dat", Expect.drop("parse-invalid drop")),
            // 3.2 transaction layer: bare magic cookie; the transaction layer falls back to RFC 2543 matching.
            Map.entry("badbranch.dat", Expect.parse("parse-valid")),
            // 3.3 application layer: the ones sanity checks decide
            // Call-ID, From and To are missing: the reply could not copy them, so the 400 cannot be sent.
            Map.entry("insuf.dat", Expect.reject("semantic-reject 400", 400)
                    .unanswerable("Call-ID/From/To missing: SipParseException.canReply() needs all five, request dropped")),
            Map.entry("unkscm.dat", Expect.reject("semantic-reject 416", 416)),
            Map.entry("novelsc.dat", Expect.reject("semantic-reject 416", 416)),
            Map.entry("bext01.dat", Expect.reject("semantic-reject 420", 420)),
            Map.entry("multi01.dat", Expect.reject("semantic-reject 400", 400)),
            Map.entry("mcl01.dat", Expect.reject("semantic-reject 400", 400)),
            // 3.3 application layer: role-dependent, decided by the proxy/registrar/UAS after parsing
            Map.entry("unksm2.dat", Expect.parseForRole("semantic-reject 400")),
            Map.entry("invut.dat", Expect.parseForRole("semantic-reject 415")),
            Map.entry("regaut01.dat", Expect.parseForRole("semantic-reject 401")),
            Map.entry("bcast.dat", Expect.parseForRole("semantic-reject drop")),
            Map.entry("zeromf.dat", Expect.parseForRole("semantic-reject 483")),
            Map.entry("cparam01.dat", Expect.parse("parse-valid")),
            Map.entry("cparam02.dat", Expect.parse("parse-valid")),
            Map.entry("regescrt.dat", Expect.parse("parse-valid")),
            Map.entry("sdp01.dat", Expect.parseForRole("semantic-reject 406")),
            // 3.4 backward compatibility
            Map.entry("inv2543.dat", Expect.parse("parse-valid")));

    private static final SipCodec CODEC = SipCodec.create();
    private static final Map<String, String> RESULTS = new ConcurrentHashMap<>();

    static List<Rfc4475Corpus.Row> rows() {
        return Rfc4475Corpus.manifest();
    }

    @Test
    void manifestHas49RowsAndTheTableCoversEachExactly() {
        List<Rfc4475Corpus.Row> rows = rows();
        assertThat(rows).hasSize(49);
        assertThat(EXPECT).hasSize(49);
        for (Rfc4475Corpus.Row r : rows) {
            assertThat(EXPECT).containsKey(r.file());
            assertThat(EXPECT.get(r.file()).manifest()).as(r.file()).isEqualTo(r.expected());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void corpusMessage(Rfc4475Corpus.Row row) {
        Expect e = EXPECT.get(row.file());
        assertThat(e).as("expectation for " + row.file()).isNotNull();
        byte[] data = Rfc4475Corpus.bytes(row.file());
        SipMessage parsed = null;
        SipParseException failure = null;
        try {
            parsed = CODEC.parse(data);
            parsed.message(); // lazily parsed messages are judged when parsed in full
        } catch (SipParseException ex) {
            failure = ex;
        } catch (SipMessage.Unparsable ex) {
            failure = ex.parseError();
            parsed = null;
        }
        String actual = parsed != null ? "parsed"
                : failure.isResponse() || !failure.canReply()
                        ? "drop (" + failure.statusCode() + " " + failure.reason() + ")"
                        : failure.statusCode() + " " + failure.reason();
        RESULTS.put(row.file(), row.section() + "\t" + row.expected() + "\t" + describe(e) + "\t" + actual);

        switch (e.outcome()) {
            case PARSE -> {
                assertThat(failure).as(row.file() + " must parse").isNull();
                assertRoundTrip(row.file(), parsed);
            }
            case REJECT -> {
                assertThat(failure).as(row.file() + " must be rejected").isNotNull();
                assertThat(failure.statusCode()).as(row.file() + ": " + failure.reason()).isEqualTo(e.code());
                assertThat(failure.isResponse()).isFalse();
                assertThat(failure.canReply()).as(row.file() + " answerable").isEqualTo(e.canReply());
            }
            case DROP -> {
                assertThat(failure).as(row.file() + " must be dropped").isNotNull();
                assertThat(failure.canReply()).isFalse();
            }
        }
    }

    private static void assertRoundTrip(String file, SipMessage m) {
        byte[] first = CODEC.encode(m.message());
        SipMessage again = (SipMessage) catchThrowableOrValue(() -> CODEC.parse(first), file);
        byte[] second = CODEC.encode(again.message());
        assertThat(new String(second, StandardCharsets.ISO_8859_1)).as(file + " re-encoding")
                .isEqualTo(new String(first, StandardCharsets.ISO_8859_1));
        assertThat(again.method()).isEqualTo(m.method());
        assertThat(again.callId()).isEqualTo(m.callId());
        assertThat(again.cseq()).isEqualTo(m.cseq());
        assertThat(again.statusCode()).isEqualTo(m.statusCode());
        assertThat(headerCount(again.message())).as(file + " header count").isEqualTo(headerCount(m.message()));
        assertThat(again.message().getRawContent()).isEqualTo(m.message().getRawContent());
    }

    private interface ParseCall {
        SipMessage run() throws SipParseException;
    }

    private static Object catchThrowableOrValue(ParseCall call, String file) {
        try {
            return call.run();
        } catch (SipParseException ex) {
            throw new AssertionError(file + ": re-encoded message does not parse: " + ex.getMessage(), ex);
        }
    }

    static int headerCount(Message m) {
        int n = 0;
        for (Iterator<String> names = m.getHeaderNames(); names.hasNext(); ) {
            for (var it = m.getHeaders(names.next()); it.hasNext(); it.next()) {
                n++;
            }
        }
        return n;
    }

    private static String describe(Expect e) {
        String s = switch (e.outcome()) {
            case PARSE -> "parses";
            case REJECT -> e.code() + (e.canReply() ? "" : " (unanswerable → drop)");
            case DROP -> "drop";
        };
        return e.deviation() == null ? s : s + " [deviation: " + e.deviation() + "]";
    }

    @AfterAll
    static void writeResults() throws IOException {
        StringBuilder b = new StringBuilder("# RFC 4475 codec results\n\n| file | section | RFC expected | codec expected | actual |\n|---|---|---|---|---|\n");
        Map<String, String> sorted = new TreeMap<>(RESULTS);
        for (Rfc4475Corpus.Row r : rows()) {
            String v = sorted.get(r.file());
            if (v == null) {
                continue;
            }
            String[] c = v.split("\t", -1);
            b.append("| ").append(r.file()).append(" | ").append(c[0]).append(" | ").append(c[1]).append(" | ")
                    .append(c[2]).append(" | ").append(c[3].replace("|", "\\|")).append(" |\n");
        }
        Path out = Path.of("target", "rfc4475-results.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, b.toString(), StandardCharsets.UTF_8);
    }
}
