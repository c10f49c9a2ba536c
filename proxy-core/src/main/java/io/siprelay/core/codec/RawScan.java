package io.siprelay.core.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cheap single pass over the header section of a message: start line, unfolded header fields, end of the header
 * section, with the {@link SipLimits} enforced while scanning so that a hostile message costs at most one bounded
 * pass before it is refused. No SIP grammar beyond line structure and header names lives here.
 */
final class RawScan {

    /** One header field after unfolding: canonical lower-case long name and the raw value (trimmed). */
    record Field(String name, String value) {}

    /** Thrown by the scan; carries the reply the message deserves. */
    static final class ScanException extends Exception {
        final int status;
        final String reason;

        ScanException(int status, String reason) {
            super(status + " " + reason, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }

    /** Offset of the first octet of the start line (leading CRLFs skipped, RFC 3261 §7.5). */
    final int start;
    final String startLine;
    final List<Field> fields;
    /** Offset of the first body octet (just after the empty line), or data.length when unterminated. */
    final int headerEnd;
    /** True when the header section ends with an empty line. */
    final boolean terminated;

    private RawScan(int start, String startLine, List<Field> fields, int headerEnd, boolean terminated) {
        this.start = start;
        this.startLine = startLine;
        this.fields = fields;
        this.headerEnd = headerEnd;
        this.terminated = terminated;
    }

    static RawScan scan(byte[] data, SipLimits limits) throws ScanException {
        int n = data.length;
        int i = 0;
        // RFC 3261 §7.5: CRLFs preceding the start line are ignored.
        while (i < n && (data[i] == '\r' || data[i] == '\n')) {
            i++;
        }
        if (i == n) {
            throw new ScanException(400, "Bad Request - empty message");
        }
        int start = i;
        int maxLine = limits.maxLineBytes();
        List<Field> fields = new ArrayList<>();
        String startLine = null;
        // The header being read: its first line as offsets, and only when continuation lines follow, the unfolded
        // text (most headers are one line and go straight from the bytes to a Field).
        int currentStart = -1;
        int currentLen = 0;
        StringBuilder folded = null;
        boolean terminated = false;
        while (i < n) {
            int lineStart = i;
            while (i < n && data[i] != '\r' && data[i] != '\n') {
                i++;
            }
            int lineEnd = i;
            // line ends: CRLF, or a lone LF / CR (tolerated)
            if (i < n && data[i] == '\r') {
                i++;
            }
            if (i < n && data[i] == '\n') {
                i++;
            }
            int len = lineEnd - lineStart;
            if (len > maxLine) {
                throw new ScanException(400, "Bad Request - header line too long");
            }
            if (startLine == null) {
                startLine = new String(data, lineStart, len, StandardCharsets.UTF_8);
                continue;
            }
            if (len == 0) {
                terminated = lineEnd < n; // an empty line that really ends in CRLF/LF
                break;
            }
            byte first = data[lineStart];
            if (first == ' ' || first == '\t') {
                if (currentStart < 0) {
                    throw new ScanException(400, "Bad Request - continuation line without header");
                }
                if (folded == null) {
                    folded = new StringBuilder(new String(data, currentStart, currentLen, StandardCharsets.UTF_8));
                }
                currentLen += len;
                if (currentLen > maxLine) {
                    throw new ScanException(400, "Bad Request - header line too long");
                }
                folded.append(' ').append(new String(data, lineStart, len, StandardCharsets.UTF_8).strip());
                continue;
            }
            if (currentStart >= 0) {
                fields.add(folded != null ? field(folded.toString()) : field(data, currentStart, currentLen));
                folded = null;
            }
            if (fields.size() >= limits.maxHeaders()) {
                throw new ScanException(400, "Bad Request - too many headers");
            }
            currentStart = lineStart;
            currentLen = len;
        }
        if (currentStart >= 0) {
            fields.add(folded != null ? field(folded.toString()) : field(data, currentStart, currentLen));
        }
        return new RawScan(start, startLine, fields, terminated ? i : n, terminated);
    }

    private static Field field(String line) {
        int colon = line.indexOf(':');
        if (colon < 0) {
            return new Field("", line);
        }
        return new Field(name(line.substring(0, colon)), line.substring(colon + 1).strip());
    }

    /** The same as {@code field(new String(data, from, len, UTF_8))} without the copy of the whole line. */
    private static Field field(byte[] data, int from, int len) {
        int end = from + len;
        int colon = from;
        while (colon < end && data[colon] != ':') {
            colon++; // ':' is ASCII, never part of a multi-byte UTF-8 sequence
        }
        if (colon == end) {
            return new Field("", new String(data, from, len, StandardCharsets.UTF_8));
        }
        return new Field(name(new String(data, from, colon - from, StandardCharsets.UTF_8)),
                new String(data, colon + 1, end - colon - 1, StandardCharsets.UTF_8).strip());
    }

    private static String name(String raw) {
        return canonical(raw.strip().toLowerCase(Locale.ROOT));
    }

    /** Long form of a compact header name (RFC 3261 §7.3.3 and extensions), lower case. */
    static String canonical(String lower) {
        if (lower.length() != 1) {
            return lower;
        }
        return switch (lower.charAt(0)) {
            case 'i' -> "call-id";
            case 'f' -> "from";
            case 't' -> "to";
            case 'v' -> "via";
            case 'm' -> "contact";
            case 'l' -> "content-length";
            case 'c' -> "content-type";
            case 'e' -> "content-encoding";
            case 's' -> "subject";
            case 'k' -> "supported";
            case 'o' -> "event";
            case 'u' -> "allow-events";
            case 'r' -> "refer-to";
            case 'b' -> "referred-by";
            case 'x' -> "session-expires";
            case 'a' -> "accept-contact";
            case 'j' -> "reject-contact";
            case 'd' -> "request-disposition";
            case 'y' -> "identity";
            default -> lower;
        };
    }

    /** All values of one header (canonical lower-case name). */
    List<String> values(String name) {
        List<String> out = new ArrayList<>(2);
        for (Field f : fields) {
            if (f.name().equals(name)) {
                out.add(f.value());
            }
        }
        return out;
    }

    boolean isResponse() {
        return startLine.regionMatches(true, 0, "SIP/", 0, 4);
    }
}
