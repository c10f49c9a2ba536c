package io.siprelay.media;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Bencoding (BitTorrent BEP 3), the payload format of the RTPengine ng control protocol.
 *
 * <p>Decoding is written for untrusted datagrams: every declared length is checked against the bytes that remain
 * before anything is allocated, nesting is bounded by {@link #MAX_DEPTH}, and any malformed input ends in a
 * {@link BencodeException} carrying the offset, never in another exception.
 */
public final class Bencode {

    /** Deepest nesting of lists and dictionaries accepted by {@link #decode} and {@link #encode}. */
    public static final int MAX_DEPTH = 32;

    private static final byte[] EMPTY = new byte[0];

    private Bencode() {
    }

    /**
     * Encodes {@code value}: a {@code Map} with {@code String} keys (written in sorted raw-byte order, as the spec
     * requires), a {@code List}, a {@code String} (as UTF-8), a {@code byte[]}, an {@code Integer} or a {@code Long}.
     *
     * @throws IllegalArgumentException for any other type (named in the message), a null, a non-String key or
     *                                  nesting deeper than {@link #MAX_DEPTH}
     */
    public static byte[] encode(Object value) {
        Out out = new Out();
        encode(value, out, 0);
        return out.toByteArray();
    }

    /** Decodes all of {@code data}; see {@link #decode(byte[], int, int)}. */
    public static Object decode(byte[] data) {
        return decode(data, 0, data.length);
    }

    /**
     * Decodes exactly one value filling {@code data[offset, offset + length)}: a {@code Map<String, Object>}
     * (a {@link LinkedHashMap} in wire order), a {@code List<Object>}, a {@code String} (UTF-8 decoded) or a
     * {@code Long}.
     *
     * @throws BencodeException          for malformed input, trailing bytes included
     * @throws IndexOutOfBoundsException when the range does not lie within {@code data}
     */
    public static Object decode(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        Decoder d = new Decoder(data, offset, offset + length);
        Object value = d.value(0);
        if (d.pos != d.end) {
            throw d.fail("trailing bytes after the value");
        }
        return value;
    }

    private static void encode(Object value, Out out, int depth) {
        if (value instanceof String s) {
            out.string(s.getBytes(StandardCharsets.UTF_8));
        } else if (value instanceof byte[] b) {
            out.string(b);
        } else if (value instanceof Integer || value instanceof Long) {
            out.put('i');
            out.ascii(value.toString());
            out.put('e');
        } else if (value instanceof Map<?, ?> map) {
            checkDepth(depth);
            encodeMap(map, out, depth);
        } else if (value instanceof List<?> list) {
            checkDepth(depth);
            out.put('l');
            for (Object element : list) {
                encode(element, out, depth + 1);
            }
            out.put('e');
        } else if (value == null) {
            throw new IllegalArgumentException("bencode cannot encode null");
        } else {
            throw new IllegalArgumentException("bencode cannot encode " + value.getClass().getName());
        }
    }

    private static void encodeMap(Map<?, ?> map, Out out, int depth) {
        int n = map.size();
        byte[][] keys = new byte[n][];
        Object[] values = new Object[n];
        Integer[] order = new Integer[n];
        int i = 0;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("bencode dictionary keys must be strings, not "
                        + (e.getKey() == null ? "null" : e.getKey().getClass().getName()));
            }
            keys[i] = key.getBytes(StandardCharsets.UTF_8);
            values[i] = e.getValue();
            order[i] = i;
            i++;
        }
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
        out.put('d');
        for (int k = 0; k < n; k++) {
            int idx = order[k];
            if (k > 0 && Arrays.equals(keys[order[k - 1]], keys[idx])) {
                throw new IllegalArgumentException("bencode dictionary has two keys with the same UTF-8 bytes");
            }
            out.string(keys[idx]);
            encode(values[idx], out, depth + 1);
        }
        out.put('e');
    }

    private static void checkDepth(int depth) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("bencode nesting deeper than " + MAX_DEPTH);
        }
    }

    /** A growable byte buffer without the locking of {@code ByteArrayOutputStream}. */
    private static final class Out {
        private byte[] buf = new byte[256];
        private int size;

        void put(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        void ascii(String s) {
            ensure(s.length());
            for (int i = 0; i < s.length(); i++) {
                buf[size++] = (byte) s.charAt(i);
            }
        }

        void string(byte[] bytes) {
            ascii(Integer.toString(bytes.length));
            put(':');
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }

        byte[] toByteArray() {
            return size == 0 ? EMPTY : Arrays.copyOf(buf, size);
        }
    }

    /** Recursive descent over one range; {@code pos} is absolute, offsets in errors are relative to {@code start}. */
    private static final class Decoder {
        private final byte[] data;
        private final int start;
        private final int end;
        private int pos;

        Decoder(byte[] data, int start, int end) {
            this.data = data;
            this.start = start;
            this.end = end;
            this.pos = start;
        }

        BencodeException fail(String reason) {
            return new BencodeException(reason, pos - start);
        }

        private int peek() {
            if (pos >= end) {
                throw fail("unexpected end of input");
            }
            return data[pos] & 0xff;
        }

        Object value(int depth) {
            int c = peek();
            if (c == 'i') {
                return integer();
            }
            if (c >= '0' && c <= '9') {
                return string();
            }
            if (c == 'l' || c == 'd') {
                if (depth >= MAX_DEPTH) {
                    throw fail("nesting deeper than " + MAX_DEPTH);
                }
                pos++;
                return c == 'l' ? list(depth + 1) : dictionary(depth + 1);
            }
            throw fail("unexpected byte 0x" + Integer.toHexString(c));
        }

        private List<Object> list(int depth) {
            List<Object> list = new ArrayList<>();
            while (peek() != 'e') {
                list.add(value(depth));
            }
            pos++;
            return list;
        }

        private Map<String, Object> dictionary(int depth) {
            Map<String, Object> map = new LinkedHashMap<>();
            while (true) {
                int c = peek();
                if (c == 'e') {
                    pos++;
                    return map;
                }
                if (c < '0' || c > '9') {
                    throw fail("dictionary key is not a string");
                }
                String key = string();
                map.put(key, value(depth));
            }
        }

        /** {@code <length>:<bytes>}, the length checked against what is left before anything is allocated. */
        private String string() {
            int lengthAt = pos;
            long length = 0;
            int digits = 0;
            while (true) {
                int c = peek();
                if (c == ':') {
                    break;
                }
                if (c < '0' || c > '9') {
                    throw fail("bad string length");
                }
                if (digits == 1 && length == 0) {
                    pos = lengthAt;
                    throw fail("string length with a leading zero");
                }
                length = length * 10 + (c - '0');
                digits++;
                if (length > Integer.MAX_VALUE) {
                    pos = lengthAt;
                    throw fail("string length out of range");
                }
                pos++;
            }
            if (digits == 0) {
                throw fail("missing string length");
            }
            pos++;
            int left = end - pos;
            if (length > left) {
                pos = lengthAt;
                throw fail("string length " + length + " beyond the input (" + left + " bytes left)");
            }
            int from = pos;
            pos += (int) length;
            return new String(data, from, (int) length, StandardCharsets.UTF_8);
        }

        private Long integer() {
            int at = pos;
            pos++;
            boolean negative = false;
            if (peek() == '-') {
                negative = true;
                pos++;
            }
            long value = 0;
            int digits = 0;
            while (true) {
                int c = peek();
                if (c == 'e') {
                    break;
                }
                if (c < '0' || c > '9') {
                    throw fail("bad integer");
                }
                if (digits == 1 && value == 0) {
                    pos = at;
                    throw fail("integer with a leading zero");
                }
                int digit = c - '0';
                // accumulate negatively so that Long.MIN_VALUE fits
                if (value < (Long.MIN_VALUE + digit) / 10) {
                    pos = at;
                    throw fail("integer out of range");
                }
                value = value * 10 - digit;
                digits++;
                pos++;
            }
            if (digits == 0) {
                throw fail("integer without digits");
            }
            if (negative && value == 0) {
                pos = at;
                throw fail("negative zero");
            }
            if (!negative) {
                if (value == Long.MIN_VALUE) {
                    pos = at;
                    throw fail("integer out of range");
                }
                value = -value;
            }
            pos++;
            return value;
        }
    }
}
