package io.siprelay.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BencodeTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Object decode(String s) {
        return Bencode.decode(b(s));
    }

    @Test
    void encodesEachTypeAsTheSpecSays() {
        assertThat(s(Bencode.encode("spam"))).isEqualTo("4:spam");
        assertThat(s(Bencode.encode(""))).isEqualTo("0:");
        assertThat(s(Bencode.encode(42))).isEqualTo("i42e");
        assertThat(s(Bencode.encode(-42L))).isEqualTo("i-42e");
        assertThat(s(Bencode.encode(0))).isEqualTo("i0e");
        assertThat(s(Bencode.encode(Long.MIN_VALUE))).isEqualTo("i-9223372036854775808e");
        assertThat(s(Bencode.encode(List.of("a", 1, List.of())))).isEqualTo("l1:ai1elee");
        assertThat(s(Bencode.encode(Map.of()))).isEqualTo("de");
        assertThat(s(Bencode.encode(new byte[] {0, 'x', (byte) 0xff}))).startsWith("3:");
        assertThat(s(Bencode.encode("é"))).isEqualTo("2:é");
    }

    @Test
    void writesDictionaryKeysInSortedRawByteOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("zeta", 1);
        m.put("é", 2);
        m.put("Zeta", 3);
        m.put("call-id", 4);
        m.put("a", 5);
        m.put("ab", 6);
        m.put("\u007f", 7);
        // raw bytes: 'Z'=0x5a < 'a' < "ab" < "call-id" < "zeta" < 0x7f < 0xc3 0xa9 (é)
        assertThat(s(Bencode.encode(m)))
                .isEqualTo("d4:Zetai3e1:ai5e2:abi6e7:call-idi4e4:zetai1e1:\u007fi7e2:éi2ee");
    }

    @Test
    void roundTripsNestedValues() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("list", List.of("x", 1L, List.of(List.of()), Map.of()));
        inner.put("neg", -1L);
        inner.put("big", Long.MAX_VALUE);
        inner.put("small", Long.MIN_VALUE);
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("command", "offer");
        outer.put("inner", inner);
        outer.put("empty", "");
        outer.put("utf8", "Grüße, 日本, 🎧");
        outer.put("binaryish", "\u0000\r\n:e d i 1:");
        outer.put("flags", List.of("trust-address", "SIP-source-address"));

        Object decoded = Bencode.decode(Bencode.encode(outer));

        assertThat(decoded).isEqualTo(outer).isInstanceOf(LinkedHashMap.class);
        assertThat(new ArrayList<Object>(((Map<?, ?>) decoded).keySet()))
                .containsExactly("binaryish", "command", "empty", "flags", "inner", "utf8");
    }

    @Test
    void decodesToTheDocumentedTypes() {
        assertThat(decode("i7e")).isEqualTo(7L);
        assertThat(decode("i-42e")).isEqualTo(-42L);
        assertThat(decode("0:")).isEqualTo("");
        assertThat(decode("le")).isEqualTo(List.of());
        assertThat(decode("de")).isEqualTo(Map.of());
        assertThat(decode("d6:result4:ponge")).isEqualTo(Map.of("result", "pong"));
        // rtpengine does not sort its keys; wire order is kept
        Object m = decode("d3:sdp3:v=06:result2:oke");
        assertThat(new ArrayList<Object>(((Map<?, ?>) m).keySet())).containsExactly("sdp", "result");
        byte[] data = b("xxd1:ai1eeyy");
        assertThat(Bencode.decode(data, 2, 8)).isEqualTo(Map.of("a", 1L));
    }

    @Test
    void decodesBinaryByteStringsAsUtf8WithReplacement() {
        byte[] data = {'2', ':', (byte) 0xff, 'a'};
        assertThat(Bencode.decode(data)).isEqualTo("\ufffda");
    }

    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource(delimiter = '|', value = {
        "''|0",                       // empty
        "i|1",                        // truncated integer
        "i12|3",                      // unterminated integer
        "ie|1",                       // no digits
        "i-e|2",                      // no digits after minus
        "i-0e|0",                     // negative zero
        "i03e|0",                     // leading zero
        "i-03e|0",                    // leading zero, negative
        "i1x2e|2",                    // bad digit
        "i9223372036854775808e|0",    // overflow
        "i-9223372036854775809e|0",   // underflow
        "5:abc|0",                    // length beyond the input
        "2147483648:x|0",             // length beyond int
        "99999999999999999999:x|0",   // huge length
        "03:abc|0",                   // leading zero in length
        "3abc|1",                     // no colon
        "3|1",                        // truncated length
        "-1:a|0",                     // negative length
        "l|1",                        // unterminated list
        "li1e|4",                     // unterminated list after an element
        "d|1",                        // unterminated dictionary
        "d1:a|4",                     // key without value
        "di1ei2ee|1",                 // integer key
        "dlei1ee|1",                  // list key
        "i1ei2e|3",                   // trailing value
        "4:spamx|6",                  // trailing garbage
        "'de '|2",                    // trailing space
        "x|0",                        // not a value
        "e|0",                        // stray end
    })
    void rejectsMalformedInputWithItsOffset(String input, int offset) {
        assertThatThrownBy(() -> decode(input))
                .isInstanceOf(BencodeException.class)
                .hasMessageContaining("at offset " + offset)
                .satisfies(e -> assertThat(((BencodeException) e).offset()).isEqualTo(offset));
    }

    @Test
    void limitsNestingTo32() {
        assertThat(decode("l".repeat(32) + "e".repeat(32))).isInstanceOf(List.class);
        assertThatThrownBy(() -> decode("l".repeat(33) + "e".repeat(33)))
                .isInstanceOf(BencodeException.class).hasMessageContaining("at offset 32");
        assertThatThrownBy(() -> decode("d1:a".repeat(40) + "i1e" + "e".repeat(40)))
                .isInstanceOf(BencodeException.class).hasMessageContaining("nesting");
        // no StackOverflowError on a deep attack either
        assertThatThrownBy(() -> decode("l".repeat(100_000))).isInstanceOf(BencodeException.class);
    }

    @Test
    void doesNotAllocateWhatALengthMerelyDeclares() {
        byte[] data = b("2000000000:abc");
        assertThatThrownBy(() -> Bencode.decode(data))
                .isInstanceOf(BencodeException.class).hasMessageContaining("beyond the input (3 bytes left)");
    }

    @Test
    void refusesToEncodeWhatBencodeCannotHold() {
        assertThatThrownBy(() -> Bencode.encode(1.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Double");
        assertThatThrownBy(() -> Bencode.encode(List.of(true))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Boolean");
        assertThatThrownBy(() -> Bencode.encode(new ArrayList<>(java.util.Arrays.asList("a", null))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
        Map<Object, Object> intKey = new HashMap<>();
        intKey.put(1, "x");
        assertThatThrownBy(() -> Bencode.encode(intKey)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keys must be strings");
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThatThrownBy(() -> Bencode.encode(cyclic)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nesting");
    }

    @Test
    void randomGarbageOnlyEverRaisesBencodeException() {
        Random random = new Random(20240611L);
        byte[] alphabet = b("0123456789:ilde-ex ");
        int decoded = 0;
        for (int n = 0; n < 20_000; n++) {
            byte[] data = new byte[random.nextInt(64)];
            boolean structured = random.nextBoolean();
            for (int k = 0; k < data.length; k++) {
                data[k] = structured ? alphabet[random.nextInt(alphabet.length)] : (byte) random.nextInt(256);
            }
            try {
                Object value = Bencode.decode(data);
                decoded++;
                assertThat(value).isInstanceOfAny(Map.class, List.class, String.class, Long.class);
            } catch (BencodeException expected) {
                assertThat(expected.offset()).isBetween(0, data.length);
            }
        }
        assertThat(decoded).as("some inputs are valid by chance").isPositive();
    }
}
