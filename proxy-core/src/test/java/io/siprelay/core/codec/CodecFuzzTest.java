package io.siprelay.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.junit.jupiter.api.Test;

/**
 * Bounded fuzzing of {@link SipCodec#parse(byte[])}: whatever the bytes, parse returns a message or throws
 * {@link SipParseException}, nothing else, and returns promptly. About 3,000 tries in all.
 */
public class CodecFuzzTest {

    private static final SipCodec CODEC = SipCodec.create();
    private static final List<byte[]> CORPUS = Rfc4475Corpus.allMessages();
    private static final Duration PER_PARSE = Duration.ofSeconds(5);

    /** The property itself: only a message or a SipParseException, and an answerable one is a request. */
    static void parsesOrRejectsCleanly(byte[] data) {
        assertTimeoutPreemptively(PER_PARSE, () -> {
            try {
                SipMessage m = CODEC.parse(data);
                assertThat(m).isNotNull();
                assertThat(CODEC.encode(m)).isNotEmpty();
                assertThat(CODEC.encode(m.message())).isNotEmpty();
            } catch (SipMessage.Unparsable u) {
                assertThat(u.parseError().statusCode()).isBetween(400, 599); // lazily parsed, refused in full
            } catch (SipParseException e) {
                assertThat(e.statusCode()).isBetween(400, 599);
                if (e.canReply()) {
                    assertThat(e.partial().isRequest()).isTrue();
                    assertThat(e.isResponse()).isFalse();
                }
            }
        });
    }

    @Property(tries = 800, shrinking = ShrinkingMode.BOUNDED)
    void randomBytes(@ForAll("randomBytes") byte[] data) {
        parsesOrRejectsCleanly(data);
    }

    @Property(tries = 800, shrinking = ShrinkingMode.BOUNDED)
    void printableGarbage(@ForAll("printable") String text) {
        parsesOrRejectsCleanly(text.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 1500, shrinking = ShrinkingMode.BOUNDED)
    void mutatedCorpus(@ForAll("mutants") byte[] data) {
        parsesOrRejectsCleanly(data);
    }

    @Provide
    Arbitrary<byte[]> randomBytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(2_000);
    }

    @Provide
    Arbitrary<String> printable() {
        Arbitrary<String> junk = Arbitraries.strings().withCharRange(' ', '~').withChars('\r', '\n', '\t').ofMaxLength(1_500);
        // Half of them start like SIP so the header parsers, not just the start-line check, see the garbage.
        Arbitrary<String> prefix = Arbitraries.of("", "INVITE sip:a@b SIP/2.0\r\n", "SIP/2.0 200 OK\r\n",
                "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n");
        return Combinators.combine(prefix, junk).as(String::concat);
    }

    public enum Mutation { FLIP, TRUNCATE, DUP_LINE, DROP_LINE, HUGE_NUMBER, NEST, SWAP_LINES }

    @Provide
    Arbitrary<byte[]> mutants() {
        return mutantsOfCorpus();
    }

    /** Mutations of the RFC 4475 messages; shared with the whole-pipeline fuzz test. */
    public static Arbitrary<byte[]> mutantsOfCorpus() {
        Arbitrary<Integer> which = Arbitraries.integers().between(0, CORPUS.size() - 1);
        Arbitrary<List<Mutation>> ops = Arbitraries.of(Mutation.class).list().ofMinSize(1).ofMaxSize(4);
        Arbitrary<Long> seed = Arbitraries.longs();
        return Combinators.combine(which, ops, seed).as((i, list, s) -> mutate(CORPUS.get(i), list, new java.util.Random(s)));
    }

    static byte[] mutate(byte[] original, List<Mutation> ops, java.util.Random rnd) {
        byte[] b = original.clone();
        for (Mutation op : ops) {
            if (b.length == 0) {
                break;
            }
            switch (op) {
                case FLIP -> {
                    for (int k = 0; k < 1 + rnd.nextInt(5); k++) {
                        b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                    }
                }
                case TRUNCATE -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
                case DUP_LINE, DROP_LINE, SWAP_LINES -> b = editLines(b, op, rnd);
                case HUGE_NUMBER -> b = replaceDigits(b, rnd);
                case NEST -> {
                    String open = List.of("(", "<", "\"", "\\", ";", ",", "%", "[").get(rnd.nextInt(8));
                    byte[] nest = open.repeat(50 + rnd.nextInt(400)).getBytes(StandardCharsets.US_ASCII);
                    int at = rnd.nextInt(b.length);
                    byte[] out = new byte[b.length + nest.length];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(nest, 0, out, at, nest.length);
                    System.arraycopy(b, at, out, at + nest.length, b.length - at);
                    b = out;
                }
            }
        }
        return b;
    }

    private static byte[] editLines(byte[] b, Mutation op, java.util.Random rnd) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>(Arrays.asList(s.split("\r\n", -1)));
        int i = rnd.nextInt(lines.size());
        switch (op) {
            case DUP_LINE -> lines.add(i, lines.get(i));
            case DROP_LINE -> lines.remove(i);
            default -> {
                int j = rnd.nextInt(lines.size());
                String t = lines.get(i);
                lines.set(i, lines.get(j));
                lines.set(j, t);
            }
        }
        return String.join("\r\n", lines).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] replaceDigits(byte[] b, java.util.Random rnd) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        var m = java.util.regex.Pattern.compile("[0-9]+").matcher(s);
        List<int[]> runs = new ArrayList<>();
        while (m.find()) {
            runs.add(new int[] {m.start(), m.end()});
        }
        if (runs.isEmpty()) {
            return b;
        }
        int[] r = runs.get(rnd.nextInt(runs.size()));
        String huge = List.of("4294967296", "2147483648", "-1", "99999999999999999999999999999999999999",
                "9223372036854775808", "0").get(rnd.nextInt(6));
        return (s.substring(0, r[0]) + huge + s.substring(r[1])).getBytes(StandardCharsets.ISO_8859_1);
    }

    // --- deep nesting and long values: no StackOverflowError may escape -------------------------------------

    private static final String HEAD = "OPTIONS sip:user@example.com SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK-nest\r\n"
            + "From: <sip:a@example.com>;tag=1\r\nTo: <sip:user@example.com>\r\n"
            + "Call-ID: nest@example.com\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n";

    @Test
    void deepNestingInEveryShapeIsRejectedOrParsedNeverThrown() {
        SipCodec roomy = SipCodec.create(new SipLimits(4_000_000, 256, 2_000_000));
        for (int depth : new int[] {200, 5_000, 200_000}) {
            for (String[] shape : new String[][] {{"(", ")"}, {"<", ">"}, {"\"", "\""}, {"[", "]"}}) {
                String nested = shape[0].repeat(depth) + "x" + shape[1].repeat(depth);
                for (String header : new String[] {"User-Agent: ", "Contact: ", "From: ", "Subject: ", "Via: "}) {
                    String msg = HEAD + header + nested + "\r\nContent-Length: 0\r\n\r\n";
                    byte[] data = msg.getBytes(StandardCharsets.US_ASCII);
                    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                        try {
                            roomy.parse(data);
                        } catch (SipParseException e) {
                            assertThat(e.statusCode()).isBetween(400, 599);
                        }
                    });
                }
            }
        }
    }

    @Test
    void veryLongHeaderValuesAreBoundedByTheLimits() {
        String longValue = "a".repeat(100_000);
        byte[] data = (HEAD + "Subject: " + longValue + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        // default limits: 8 KiB per line, 64 KiB per message
        try {
            CODEC.parse(data);
            throw new AssertionError("a 100 kB header line must be refused");
        } catch (SipParseException e) {
            assertThat(e.statusCode()).isIn(400, 513);
        }
        SipCodec roomy = SipCodec.create(new SipLimits(4_000_000, 256, 2_000_000));
        String million = ";p".repeat(200_000);
        for (String header : new String[] {"Via: SIP/2.0/UDP h", "Contact: <sip:a@b>", "To: <sip:a@b>", "Route: <sip:a@b>"}) {
            byte[] d = (HEAD.replace("To: <sip:user@example.com>\r\n", "") + header + million
                    + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                try {
                    roomy.parse(d);
                } catch (SipParseException e) {
                    assertThat(e.statusCode()).isBetween(400, 599);
                }
            });
        }
    }
}
