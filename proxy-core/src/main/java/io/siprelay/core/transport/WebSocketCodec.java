package io.siprelay.core.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * SIP over WebSocket (RFC 7118) on one accepted connection, server side of RFC 6455, over an inner codec (plain TCP
 * for {@code ws}, TLS for {@code wss}). It answers the HTTP upgrade (101 only with {@code Sec-WebSocket-Protocol: sip},
 * a 16-byte key, version 13 and the configured path; 400/426 otherwise, then closes), unmasks the client's frames,
 * joins fragments, answers ping with pong and close with close, and hands each text or binary message on as one SIP
 * message. Outbound messages go out as one unmasked text frame each.
 *
 * <p>The SIP framer downstream frames by Content-Length, which RFC 7118 §5 makes optional over WebSocket: a message
 * without one gets it inserted. A protocol error (unmasked client frame, reserved bits or opcodes, a control frame
 * over 125 bytes or fragmented, a message over the size limit) closes the connection with the matching close code.
 *
 * <p>Used under the connection's monitor, like every {@link StreamCodec}.
 */
final class WebSocketCodec implements StreamCodec {

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int MAX_HANDSHAKE_BYTES = 8 * 1024;
    private static final int OP_CONTINUATION = 0;
    private static final int OP_TEXT = 1;
    private static final int OP_BINARY = 2;
    private static final int OP_CLOSE = 8;
    private static final int OP_PING = 9;
    private static final int OP_PONG = 10;

    private final StreamCodec inner;
    private final String path;
    private final int maxMessageBytes;
    /** Received bytes not yet consumed: [start, end) of buf. */
    private byte[] buf = new byte[4096];
    private int start;
    private int end;
    private boolean open;
    private boolean closeSent;
    private boolean closeReceived;
    /** A refusal or close frame is queued: the connection must write it before closing. */
    private boolean farewell;
    /** The data message being reassembled from fragments, or null. */
    private ByteBuffer fragments;
    /** SIP messages found by the current read. */
    private ByteBuffer app = ByteBuffer.allocate(0);

    /**
     * @param path            the Request-URI path clients must ask for ({@code "/"} accepts any)
     * @param maxMessageBytes largest SIP message, also the largest WebSocket message
     */
    WebSocketCodec(StreamCodec inner, String path, int maxMessageBytes) {
        this.inner = inner;
        this.path = path;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public void start(Wire wire) throws IOException {
        inner.start(wire);
    }

    @Override
    public boolean established() {
        return open && inner.established();
    }

    @Override
    public void encode(ByteBuffer message, Wire wire) throws IOException {
        if (!open || closeSent) {
            throw new IOException("WebSocket connection is not open");
        }
        inner.encode(frame(OP_TEXT, message), wire);
    }

    @Override
    public int heldBytes() {
        return inner.heldBytes();
    }

    @Override
    public ByteBuffer read(SocketChannel channel, ByteBuffer scratch, Wire wire) throws IOException {
        ByteBuffer in = inner.read(channel, scratch, wire);
        if (in == null) {
            return null;
        }
        append(in);
        app.clear();
        if (!open && !handshake(wire)) {
            return app.flip();
        }
        while (!closeReceived && frame(wire)) {
            // one frame consumed per pass
        }
        return app.flip();
    }

    @Override
    public boolean inboundDone() {
        return closeReceived || inner.inboundDone();
    }

    @Override
    public boolean close(Wire wire) {
        if (open && !closeSent) {
            try {
                sendClose(1000, wire);
            } catch (IOException e) {
                // closing anyway
            }
        }
        return inner.close(wire) || farewell;
    }

    // ------------------------------------------------------------------------------------------ handshake

    /** Answers the upgrade once its header section is in; false while it is incomplete. */
    private boolean handshake(Wire wire) throws IOException {
        int headerEnd = indexOf("\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (headerEnd < 0) {
            if (end - start > MAX_HANDSHAKE_BYTES) {
                throw refuse(wire, "431 Request Header Fields Too Large", "handshake over " + MAX_HANDSHAKE_BYTES
                        + " bytes");
            }
            return false;
        }
        String request = new String(buf, start, headerEnd - start, StandardCharsets.ISO_8859_1);
        start = headerEnd + 4;
        String[] lines = request.split("\r\n");
        String[] first = lines[0].split(" ");
        if (first.length != 3 || !first[0].equals("GET") || !first[2].startsWith("HTTP/1.1")) {
            throw refuse(wire, "400 Bad Request", "not an HTTP/1.1 GET: " + printable(lines[0]));
        }
        String target = first[1];
        int query = target.indexOf('?');
        String requestPath = query < 0 ? target : target.substring(0, query);
        String upgrade = null;
        String connection = null;
        String key = null;
        String version = null;
        String protocols = null;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "upgrade" -> upgrade = value;
                case "connection" -> connection = value;
                case "sec-websocket-key" -> key = value;
                case "sec-websocket-version" -> version = value;
                case "sec-websocket-protocol" -> protocols = protocols == null ? value : protocols + "," + value;
                default -> { }
            }
        }
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket") || connection == null
                || !connection.toLowerCase(Locale.ROOT).contains("upgrade")) {
            throw refuse(wire, "400 Bad Request", "not a WebSocket upgrade (plain HTTP?)");
        }
        if (!"13".equals(version)) {
            throw refuse(wire, "426 Upgrade Required\r\nSec-WebSocket-Version: 13", "WebSocket version "
                    + printable(String.valueOf(version)));
        }
        if (key == null || !validKey(key)) {
            throw refuse(wire, "400 Bad Request", "bad Sec-WebSocket-Key");
        }
        if (!offersSip(protocols)) {
            throw refuse(wire, "400 Bad Request", "no 'sip' in Sec-WebSocket-Protocol (RFC 7118 §4.1)");
        }
        if (!path.equals("/") && !path.equals(requestPath)) {
            throw refuse(wire, "404 Not Found", "path " + printable(requestPath) + " is not " + path);
        }
        String accept = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + acceptFor(key) + "\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
        inner.encode(ByteBuffer.wrap(accept.getBytes(StandardCharsets.US_ASCII)), wire);
        open = true;
        return true;
    }

    private IOException refuse(Wire wire, String status, String why) throws IOException {
        String body = why + "\r\n";
        String reply = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body;
        inner.encode(ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)), wire);
        closeReceived = true;
        farewell = true;
        return new IOException("WebSocket handshake refused: " + why);
    }

    private static boolean validKey(String key) {
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean offersSip(String protocols) {
        if (protocols == null) {
            return false;
        }
        for (String p : protocols.split(",")) {
            if (p.trim().equalsIgnoreCase("sip")) {
                return true;
            }
        }
        return false;
    }

    /** RFC 6455 §4.2.2: base64 of SHA-1 over the key and the GUID. */
    static String acceptFor(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 missing from the JDK", e);
        }
    }

    // ------------------------------------------------------------------------------------------ frames

    /** Consumes one whole frame if it is in; false when more bytes are needed. */
    private boolean frame(Wire wire) throws IOException {
        int avail = end - start;
        if (avail < 2) {
            return false;
        }
        int b0 = buf[start] & 0xff;
        int b1 = buf[start + 1] & 0xff;
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0f;
        boolean masked = (b1 & 0x80) != 0;
        long len = b1 & 0x7f;
        int pos = start + 2;
        if (len == 126) {
            if (avail < 4) {
                return false;
            }
            len = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
            pos += 2;
        } else if (len == 127) {
            if (avail < 10) {
                return false;
            }
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = (len << 8) | (buf[pos + i] & 0xff);
            }
            pos += 8;
        }
        if ((b0 & 0x70) != 0) {
            throw fail(wire, 1002, "reserved bits set without an extension");
        }
        if (!masked) {
            throw fail(wire, 1002, "client frame not masked (RFC 6455 §5.1)");
        }
        boolean control = opcode >= 8;
        if (control && (len > 125 || !fin)) {
            throw fail(wire, 1002, "control frame fragmented or over 125 bytes");
        }
        if (!control && opcode != OP_CONTINUATION && opcode != OP_TEXT && opcode != OP_BINARY || opcode > OP_PONG) {
            throw fail(wire, 1002, "reserved opcode " + opcode);
        }
        long reassembled = (fragments == null ? 0 : fragments.position()) + len;
        if (len < 0 || reassembled > maxMessageBytes) {
            throw fail(wire, 1009, "message over " + maxMessageBytes + " bytes");
        }
        if (end - pos < 4 + len) {
            ensureCapacity(pos + 4 + (int) len - start);
            return false;
        }
        byte[] mask = {buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]};
        pos += 4;
        int n = (int) len;
        for (int i = 0; i < n; i++) {
            buf[pos + i] ^= mask[i & 3];
        }
        start = pos + n;
        switch (opcode) {
            case OP_PING -> inner.encode(frame(OP_PONG, ByteBuffer.wrap(buf, pos, n)), wire);
            case OP_PONG -> { }
            case OP_CLOSE -> {
                closeReceived = true;
                if (!closeSent) {
                    int code = n >= 2 ? ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff) : 1000;
                    sendClose(code == 1005 || code == 1006 ? 1000 : code, wire);
                }
            }
            default -> data(opcode, fin, pos, n, wire);
        }
        return true;
    }

    private void data(int opcode, boolean fin, int pos, int n, Wire wire) throws IOException {
        if (opcode == OP_CONTINUATION && fragments == null) {
            throw fail(wire, 1002, "continuation frame without a message");
        }
        if (opcode != OP_CONTINUATION && fragments != null) {
            throw fail(wire, 1002, "new message inside a fragmented one");
        }
        if (fin && fragments == null) {
            deliver(buf, pos, n);
            return;
        }
        if (fragments == null) {
            fragments = ByteBuffer.allocate(Math.max(256, n * 2));
        }
        if (fragments.remaining() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(maxMessageBytes, (fragments.position() + n) * 2));
            fragments.flip();
            bigger.put(fragments);
            fragments = bigger;
        }
        fragments.put(buf, pos, n);
        if (fin) {
            ByteBuffer whole = fragments;
            fragments = null;
            deliver(whole.array(), 0, whole.position());
        }
    }

    /** One SIP message: onto the output, with a Content-Length when it has none (RFC 7118 §5). */
    private void deliver(byte[] b, int off, int n) {
        if (n == 0) {
            return; // an empty message is a keep-alive at most
        }
        byte[] insert = ContentLength.missingHeader(b, off, n);
        int headerEnd = insert == null ? -1 : ContentLength.headerEnd(b, off, n);
        int need = n + (insert == null ? 0 : insert.length);
        if (app.remaining() < need) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(app.capacity() * 2, app.position() + need));
            app.flip();
            bigger.put(app);
            app = bigger;
        }
        if (insert == null) {
            app.put(b, off, n);
        } else {
            app.put(b, off, headerEnd - off).put(insert).put(b, headerEnd, off + n - headerEnd);
        }
    }

    private IOException fail(Wire wire, int code, String why) throws IOException {
        if (!closeSent) {
            sendClose(code, wire);
        }
        closeReceived = true;
        return new IOException("WebSocket protocol error: " + why);
    }

    private void sendClose(int code, Wire wire) throws IOException {
        closeSent = true;
        farewell = true;
        inner.encode(frame(OP_CLOSE, ByteBuffer.wrap(new byte[] {(byte) (code >> 8), (byte) code})), wire);
    }

    /** An unmasked server frame with FIN set. */
    static ByteBuffer frame(int opcode, ByteBuffer payload) {
        int n = payload.remaining();
        int header = n < 126 ? 2 : n < 65536 ? 4 : 10;
        ByteBuffer f = ByteBuffer.allocate(header + n);
        f.put((byte) (0x80 | opcode));
        if (n < 126) {
            f.put((byte) n);
        } else if (n < 65536) {
            f.put((byte) 126).putShort((short) n);
        } else {
            f.put((byte) 127).putLong(n);
        }
        return f.put(payload).flip();
    }

    // ------------------------------------------------------------------------------------------ buffer

    private void append(ByteBuffer in) {
        int n = in.remaining();
        ensureCapacity(end - start + n);
        in.get(buf, end, n);
        end += n;
    }

    /** Room for {@code needed} bytes from {@code start} on: compacts, then grows. */
    private void ensureCapacity(int needed) {
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        if (buf.length < needed) {
            byte[] bigger = new byte[Math.max(buf.length * 2, needed)];
            System.arraycopy(buf, 0, bigger, 0, end);
            buf = bigger;
        }
    }

    private int indexOf(byte[] needle) {
        outer:
        for (int i = start; i <= end - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Finding the header section of a SIP message and whether it has a Content-Length. */
    static final class ContentLength {
        private ContentLength() {
        }

        /** Index of the CRLFCRLF ending the header section, or off + n when there is none. */
        static int headerEnd(byte[] b, int off, int n) {
            for (int i = off; i + 3 < off + n; i++) {
                if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                    return i + 2;
                }
            }
            return off + n;
        }

        /** The header line to insert ("Content-Length: N\r\n") when the message has none, else null. */
        static byte[] missingHeader(byte[] b, int off, int n) {
            int he = headerEnd(b, off, n);
            int lineStart = off;
            for (int i = off; i < he; i++) {
                if (b[i] == '\n') {
                    lineStart = i + 1;
                    if (startsWithName(b, lineStart, he)) {
                        return null;
                    }
                }
            }
            int body = Math.max(0, off + n - (he + 2));
            if (he == off + n) {
                return null; // no header end at all: the framer will reject it as it is
            }
            return ("Content-Length: " + body + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }

        private static boolean startsWithName(byte[] b, int p, int limit) {
            return matches(b, p, limit, "content-length") || matches(b, p, limit, "l");
        }

        private static boolean matches(byte[] b, int p, int limit, String name) {
            int i = 0;
            for (; i < name.length(); i++) {
                if (p + i >= limit || Character.toLowerCase((char) b[p + i]) != name.charAt(i)) {
                    return false;
                }
            }
            int q = p + i;
            while (q < limit && (b[q] == ' ' || b[q] == '\t')) {
                q++;
            }
            return q < limit && b[q] == ':';
        }
    }
}
