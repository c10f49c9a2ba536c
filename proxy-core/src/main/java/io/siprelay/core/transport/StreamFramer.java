package io.siprelay.core.transport;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Splits a SIP byte stream (TCP, TLS) into whole messages: the header section ends at the first CRLFCRLF and the
 * body is exactly Content-Length bytes (RFC 3261 §18.3). One framer per connection; not thread-safe.
 *
 * <p>Between messages a CRLFCRLF is an RFC 5626 §3.5.1 keep-alive "ping" and is reported through
 * {@link Sink#onPing()} so the transport can answer a single CRLF "pong"; a lone CRLF (a pong, or the stray
 * CRLF RFC 3261 §7.5 tells receivers to ignore) is skipped. The framer cannot tell a ping split over two reads
 * from two pongs in two reads; it treats them as a ping.
 *
 * <p>A missing, negative, non-numeric or conflicting Content-Length, or a message over the limits, raises a
 * {@link FramingException}: the stream can no longer be framed and the connection must be closed. Once failed,
 * every further {@code feed} throws the same exception.
 *
 * <p>The framer never scans a byte twice for the blank line, keeps one growing buffer (at most the message limit)
 * and allocates exactly one array per delivered message.
 */
public final class StreamFramer {

    /** Receives what the framer finds. Called on the feeding thread, in stream order; must not throw. */
    public interface Sink {
        /** One whole message, header section and body, in a fresh array the receiver owns. */
        void onMessage(byte[] message);

        /** A CRLFCRLF keep-alive ping between messages. */
        void onPing();
    }

    private static final int INITIAL_CAPACITY = 2048;
    private static final int SHRINK_ABOVE = 16 * 1024;
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final int BOUNDARY = 0;
    private static final int HEADERS = 1;
    private static final int BODY = 2;

    private final int maxHeaderBytes;
    private final int maxMessageBytes;

    private byte[] buf = new byte[INITIAL_CAPACITY];
    /** First byte not yet consumed. */
    private int start;
    /** One past the last buffered byte. */
    private int end;
    /** Where the search for CRLFCRLF resumes (absolute index into buf). */
    private int scanFrom;
    private int state = BOUNDARY;
    /** Length of the current message once its header section has been read. */
    private int messageLength;
    private FramingException failure;

    /**
     * @param maxHeaderBytes  largest header section, start line through the blank line
     * @param maxMessageBytes largest whole message
     */
    public StreamFramer(int maxHeaderBytes, int maxMessageBytes) {
        if (maxHeaderBytes < 16 || maxMessageBytes < maxHeaderBytes) {
            throw new IllegalArgumentException("bad limits: header " + maxHeaderBytes + ", message " + maxMessageBytes);
        }
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxMessageBytes = maxMessageBytes;
    }

    public StreamFramer(TransportOptions options) {
        this(options.maxHeaderBytes(), options.maxMessageBytes());
    }

    public void feed(byte[] bytes, Sink sink) throws FramingException {
        feed(bytes, 0, bytes.length, sink);
    }

    public void feed(byte[] bytes, int offset, int length, Sink sink) throws FramingException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        Objects.requireNonNull(sink, "sink");
        checkNotFailed();
        while (length > 0) {
            makeRoom();
            int n = Math.min(length, buf.length - end);
            System.arraycopy(bytes, offset, buf, end, n);
            end += n;
            offset += n;
            length -= n;
            drain(sink);
        }
    }

    /** Consumes every remaining byte of {@code bytes} (its position ends at its limit). */
    public void feed(ByteBuffer bytes, Sink sink) throws FramingException {
        Objects.requireNonNull(sink, "sink");
        checkNotFailed();
        while (bytes.hasRemaining()) {
            makeRoom();
            int n = Math.min(bytes.remaining(), buf.length - end);
            bytes.get(buf, end, n);
            end += n;
            drain(sink);
        }
    }

    /** Bytes received but not yet delivered (part of a message, or a CRLF that may start a ping). */
    public int buffered() {
        return end - start;
    }

    /** True when no partial message is pending (a stream may end cleanly here). */
    public boolean atMessageBoundary() {
        return state == BOUNDARY && end == start;
    }

    private void checkNotFailed() throws FramingException {
        if (failure != null) {
            throw failure;
        }
    }

    private FramingException fail(FramingException.Reason reason, String message) {
        failure = new FramingException(reason, message);
        buf = new byte[0];
        start = end = scanFrom = 0;
        return failure;
    }

    private void makeRoom() throws FramingException {
        if (end < buf.length) {
            return;
        }
        if (start > 0) {
            int pending = end - start;
            System.arraycopy(buf, start, buf, 0, pending);
            scanFrom -= start;
            start = 0;
            end = pending;
            if (end < buf.length) {
                return;
            }
        }
        // Never more than one whole message is pending, so the buffer need not outgrow the message limit.
        if (buf.length >= maxMessageBytes) {
            throw fail(FramingException.Reason.MESSAGE_TOO_LARGE, "more than " + maxMessageBytes + " bytes pending");
        }
        int capacity = (int) Math.min((long) Math.max(buf.length, INITIAL_CAPACITY) * 2, maxMessageBytes);
        buf = Arrays.copyOf(buf, capacity);
    }

    private void drain(Sink sink) throws FramingException {
        while (true) {
            if (state == BOUNDARY && !skipKeepAlives(sink)) {
                break;
            }
            if (state == HEADERS && !findHeaderEnd()) {
                break;
            }
            if (state == BODY) {
                if (end - start < messageLength) {
                    break;
                }
                byte[] message = Arrays.copyOfRange(buf, start, start + messageLength);
                start += messageLength;
                scanFrom = start;
                state = BOUNDARY;
                sink.onMessage(message);
            }
        }
        if (start == end) {
            start = end = scanFrom = 0;
            if (buf.length > SHRINK_ABOVE) {
                buf = new byte[INITIAL_CAPACITY];
            }
        }
    }

    /**
     * Between messages: reports CRLFCRLF pings, skips lone CRLFs. Returns true when a message starts at
     * {@code start} (state moved to HEADERS), false when more bytes are needed.
     */
    private boolean skipKeepAlives(Sink sink) {
        while (true) {
            int avail = end - start;
            if (avail == 0) {
                return false;
            }
            if (buf[start] != CR) {
                break;
            }
            if (avail < 2) {
                return false;
            }
            if (buf[start + 1] != LF) {
                break; // a bare CR starts a (malformed) message; let the parser judge it
            }
            if (avail < 3 || (avail < 4 && buf[start + 2] == CR)) {
                return false; // may still become a ping
            }
            if (buf[start + 2] == CR && buf[start + 3] == LF) {
                start += 4;
                scanFrom = start;
                sink.onPing();
            } else {
                start += 2; // lone CRLF
                scanFrom = start;
            }
        }
        state = HEADERS;
        scanFrom = start;
        return true;
    }

    /** Looks for the blank line; on finding it reads Content-Length and moves to BODY. */
    private boolean findHeaderEnd() throws FramingException {
        int headerEnd = -1;
        byte[] b = buf;
        for (int p = Math.max(scanFrom, start + 3); p < end; p++) {
            // p indexes the last byte of a candidate CRLFCRLF; step on LF only
            if (b[p] == LF && b[p - 1] == CR && b[p - 2] == LF && b[p - 3] == CR) {
                headerEnd = p + 1;
                break;
            }
        }
        if (headerEnd < 0) {
            scanFrom = Math.max(start + 3, end);
            if (end - start > maxHeaderBytes) {
                throw fail(FramingException.Reason.HEADER_SECTION_TOO_LARGE,
                        "no end of header section within " + maxHeaderBytes + " bytes");
            }
            return false;
        }
        int headerLength = headerEnd - start;
        if (headerLength > maxHeaderBytes) {
            throw fail(FramingException.Reason.HEADER_SECTION_TOO_LARGE,
                    "header section of " + headerLength + " bytes, limit " + maxHeaderBytes);
        }
        long contentLength = contentLength(start, headerEnd);
        long total = headerLength + contentLength;
        if (total > maxMessageBytes) {
            throw fail(FramingException.Reason.MESSAGE_TOO_LARGE,
                    "message of " + total + " bytes, limit " + maxMessageBytes);
        }
        messageLength = (int) total;
        state = BODY;
        return true;
    }

    /** Reads Content-Length (or compact "l") from the header section [from, to), which ends with CRLFCRLF. */
    private long contentLength(int from, int to) throws FramingException {
        int last = to - 2; // the final CRLF (the blank line) starts here
        int p = lineEnd(from, last) + 2; // skip the start line
        long value = -1;
        while (p < last) {
            int lineEnd = lineEnd(p, last);
            int colon = indexOf((byte) ':', p, lineEnd);
            int valueEnd = lineEnd;
            int next = lineEnd + 2;
            while (next < last && (buf[next] == ' ' || buf[next] == '\t')) { // folded continuation line
                valueEnd = lineEnd(next, last);
                next = valueEnd + 2;
            }
            if (colon > p && isContentLengthName(p, colon)) {
                long v = parseLength(colon + 1, valueEnd);
                if (value >= 0 && v != value) {
                    throw fail(FramingException.Reason.CONFLICTING_CONTENT_LENGTH,
                            "Content-Length " + value + " and " + v);
                }
                value = v;
            }
            p = next;
        }
        if (value < 0) {
            throw fail(FramingException.Reason.MISSING_CONTENT_LENGTH, "no Content-Length on a stream");
        }
        return value;
    }

    /** Index of the CR of the next CRLF at or after {@code p}, or {@code limit} when there is none before it. */
    private int lineEnd(int p, int limit) {
        for (int i = p; i < limit; i++) {
            if (buf[i] == CR && buf[i + 1] == LF) {
                return i;
            }
        }
        return limit;
    }

    private int indexOf(byte target, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == target) {
                return i;
            }
        }
        return -1;
    }

    private boolean isContentLengthName(int from, int colon) {
        int to = colon;
        while (to > from && (buf[to - 1] == ' ' || buf[to - 1] == '\t')) {
            to--;
        }
        int length = to - from;
        if (length == 1) {
            return (buf[from] | 0x20) == 'l';
        }
        if (length != CONTENT_LENGTH.length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            byte expected = CONTENT_LENGTH[i];
            byte actual = buf[from + i];
            if (expected == '-' ? actual != '-' : (actual | 0x20) != expected) {
                return false;
            }
        }
        return true;
    }

    private long parseLength(int from, int to) throws FramingException {
        int p = skipWhitespace(from, to);
        if (p < to && buf[p] == '-') {
            throw fail(FramingException.Reason.INVALID_CONTENT_LENGTH, "negative Content-Length");
        }
        long value = 0;
        int digits = 0;
        while (p < to && buf[p] >= '0' && buf[p] <= '9') {
            if (value <= maxMessageBytes) { // saturate: anything above the limit is rejected later anyway
                value = value * 10 + (buf[p] - '0');
            }
            digits++;
            p++;
        }
        if (digits == 0 || skipWhitespace(p, to) != to) {
            throw fail(FramingException.Reason.INVALID_CONTENT_LENGTH, "Content-Length is not a number");
        }
        return value;
    }

    private int skipWhitespace(int p, int to) {
        while (p < to && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == CR || buf[p] == LF)) {
            p++;
        }
        return p;
    }
}
