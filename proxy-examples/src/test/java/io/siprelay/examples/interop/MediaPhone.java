package io.siprelay.examples.interop;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small SIP phone over UDP for the media interop test: registers and calls with digest authentication, answers,
 * cancels and hangs up as RFC 3261 says for a UA behind no NAT, and sends and counts RTP on a socket of its own (the
 * port its SDP names). Messages are plain text; a receiver thread queues what arrives.
 */
final class MediaPhone implements AutoCloseable {

    /** One SIP message received, and where from. */
    record Received(String text, InetSocketAddress from) {
    }

    /** The caller's side of one call. */
    static final class Call {
        final String callId = "media-" + SEQ.incrementAndGet() + "-" + System.nanoTime() + "@127.0.0.1";
        final String fromTag = "a" + SEQ.incrementAndGet();
        final String ruri;
        final String to;
        String branch = branch();
        long cseq = 1;
        String toTag;
        List<String> routeSet = List.of();
        String remoteTarget;
        String remoteSdp;

        Call(String ruri, String to) {
            this.ruri = ruri;
            this.to = to;
        }
    }

    private static final AtomicLong SEQ = new AtomicLong();
    private static final Pattern PARAM = Pattern.compile("([A-Za-z-]+)\\s*=\\s*(\"([^\"]*)\"|[^,\\s]+)");
    private static final Map<String, String> COMPACT = Map.of("v", "via", "f", "from", "t", "to", "i", "call-id",
            "m", "contact", "l", "content-length", "c", "content-type");

    private final String user;
    private final String password;
    private final String domain;
    private final InetSocketAddress pbx;
    private final DatagramSocket sip;
    private final DatagramSocket rtp;
    private final BlockingQueue<Received> inbox = new LinkedBlockingQueue<>();
    private final AtomicInteger rtpIn = new AtomicInteger();
    private final String localTag = "b" + SEQ.incrementAndGet();

    /** @param domain the host[:port] of the phone's URIs, e.g. {@code 127.0.0.1:5090} */
    MediaPhone(String user, String password, String domain, InetSocketAddress pbx) throws SocketException {
        this.user = user;
        this.password = password;
        this.domain = domain;
        this.pbx = pbx;
        this.sip = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.rtp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        daemon("sip-" + user, () -> {
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            sip.receive(p);
            inbox.add(new Received(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8),
                    (InetSocketAddress) p.getSocketAddress()));
        });
        daemon("rtp-" + user, () -> {
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            rtp.receive(p);
            rtpIn.incrementAndGet();
        });
    }

    private interface Loop {
        void once() throws IOException;
    }

    private static void daemon(String name, Loop loop) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    loop.once();
                }
            } catch (IOException e) {
                // socket closed
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    int rtpPort() {
        return rtp.getLocalPort();
    }

    /** RTP packets received so far. */
    int rtpReceived() {
        return rtpIn.get();
    }

    void drain() {
        inbox.clear();
    }

    // ------------------------------------------------------------------------------------------ caller side

    /** REGISTER with digest authentication; the final answer to the second REGISTER. */
    String register() throws Exception {
        String callId = "reg-" + SEQ.incrementAndGet() + "@127.0.0.1";
        String aor = "<sip:" + user + "@" + domain + ">";
        List<String> h = List.of("Via: " + via(branch()), "Max-Forwards: 70", "From: " + aor + ";tag=r" + user,
                "To: " + aor, "Call-ID: " + callId, "CSeq: 1 REGISTER", "Contact: " + contact(), "Expires: 3600");
        send(message("REGISTER sip:" + domain + " SIP/2.0", h, null));
        String challenge = take("401 to REGISTER", r -> isResponse(r, callId, "REGISTER") && status(r) >= 200);
        List<String> again = new ArrayList<>(List.of("Via: " + via(branch())));
        again.addAll(h.subList(1, h.size()));
        again.set(5, "CSeq: 2 REGISTER");
        again.add("Authorization: " + authorization(challenge, "WWW-Authenticate", "REGISTER", "sip:" + domain));
        send(message("REGISTER sip:" + domain + " SIP/2.0", again, null));
        return take("final answer to REGISTER", r -> isResponse(r, callId, "REGISTER") && status(r) >= 200
                && r.contains("CSeq: 2 "));
    }

    /** INVITE with SDP: the 407, its ACK, the INVITE again with credentials. Answers come with {@link #answer}. */
    Call invite(String calleeUser) throws Exception {
        Call c = new Call("sip:" + calleeUser + "@" + domain, "<sip:" + calleeUser + "@" + domain + ">");
        send(inviteText(c, null));
        String challenge = answer(c, s -> s >= 200);
        if (status(challenge) != 407) {
            throw new AssertionError("expected 407 to the first INVITE, got " + challenge);
        }
        ack(c, challenge);
        c.cseq++;
        c.branch = branch();
        send(inviteText(c, authorization(challenge, "Proxy-Authenticate", "INVITE", c.ruri)));
        return c;
    }

    /** The next response to the call's INVITE whose status passes; a 2xx sets the dialog (tag, route, target, SDP). */
    String answer(Call c, Predicate<Integer> status) throws Exception {
        long cseq = c.cseq;
        String r = take("response to INVITE " + c.callId, m -> isResponse(m, c.callId, "INVITE")
                && m.contains("CSeq: " + cseq + " ") && status.test(status(m)));
        int s = status(r);
        if (s >= 200 && s < 300) {
            c.toTag = tagOf(header(r, "To"));
            List<String> rr = new ArrayList<>();
            for (String v : headers(r, "Record-Route")) {
                rr.addAll(splitList(v));
            }
            java.util.Collections.reverse(rr);
            c.routeSet = rr;
            c.remoteTarget = uriOf(header(r, "Contact"));
            c.remoteSdp = body(r);
        } else if (s >= 300) {
            c.toTag = tagOf(header(r, "To"));
        }
        return r;
    }

    /** The ACK: for a 2xx a new transaction along the route set, for a failure the INVITE's branch (§17.1.1.3). */
    void ack(Call c, String finalResponse) throws IOException {
        boolean ok = status(finalResponse) < 300;
        String to = c.to + ";tag=" + tagOf(header(finalResponse, "To"));
        List<String> h = new ArrayList<>(List.of("Via: " + via(ok ? branch() : c.branch), "Max-Forwards: 70"));
        if (ok) {
            c.routeSet.forEach(r -> h.add("Route: " + r));
        }
        h.addAll(List.of("From: " + from(c), "To: " + to, "Call-ID: " + c.callId, "CSeq: " + c.cseq + " ACK"));
        send(message("ACK " + (ok ? c.remoteTarget : c.ruri) + " SIP/2.0", h, null));
    }

    /** CANCEL of the pending INVITE; returns the answer to the CANCEL. */
    String cancel(Call c) throws Exception {
        List<String> h = List.of("Via: " + via(c.branch), "Max-Forwards: 70", "From: " + from(c), "To: " + c.to,
                "Call-ID: " + c.callId, "CSeq: " + c.cseq + " CANCEL");
        send(message("CANCEL " + c.ruri + " SIP/2.0", h, null));
        return take("answer to CANCEL", r -> isResponse(r, c.callId, "CANCEL"));
    }

    /** BYE in the dialog; returns its final answer. */
    String bye(Call c) throws Exception {
        c.cseq++;
        List<String> h = new ArrayList<>(List.of("Via: " + via(branch()), "Max-Forwards: 70"));
        c.routeSet.forEach(r -> h.add("Route: " + r));
        h.addAll(List.of("From: " + from(c), "To: " + c.to + ";tag=" + c.toTag, "Call-ID: " + c.callId,
                "CSeq: " + c.cseq + " BYE"));
        send(message("BYE " + c.remoteTarget + " SIP/2.0", h, null));
        return take("answer to BYE", r -> isResponse(r, c.callId, "BYE") && status(r) >= 200);
    }

    private String inviteText(Call c, String auth) {
        List<String> h = new ArrayList<>(List.of("Via: " + via(c.branch), "Max-Forwards: 70", "From: " + from(c),
                "To: " + c.to, "Call-ID: " + c.callId, "CSeq: " + c.cseq + " INVITE", "Contact: " + contact()));
        if (auth != null) {
            h.add("Proxy-Authorization: " + auth);
        }
        return message("INVITE " + c.ruri + " SIP/2.0", h, sdp());
    }

    private String from(Call c) {
        return "<sip:" + user + "@" + domain + ">;tag=" + c.fromTag;
    }

    // ------------------------------------------------------------------------------------------ callee side

    /** The next request of {@code method} (any Call-ID when null). */
    Received request(String method, String callId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Received r = inbox.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (r == null) {
                throw new AssertionError(user + ": no " + method + " within 10 s");
            }
            if (r.text().startsWith(method + " ") && (callId == null || callId.equals(header(r.text(), "Call-ID")))) {
                return r;
            }
        }
    }

    /** Answers a received request (back to where it came from), with this phone's SDP when {@code withSdp}. */
    void respond(Received req, int status, String reason, boolean withSdp) throws IOException {
        String text = req.text();
        List<String> h = new ArrayList<>();
        headers(text, "Via").forEach(v -> h.add("Via: " + v));
        boolean dialog = text.startsWith("INVITE ") && status > 100 && status < 300;
        if (dialog) {
            headers(text, "Record-Route").forEach(v -> h.add("Record-Route: " + v));
        }
        String to = header(text, "To");
        h.add("From: " + header(text, "From"));
        h.add("To: " + (status > 100 && tagOf(to) == null ? to + ";tag=" + localTag : to));
        h.add("Call-ID: " + header(text, "Call-ID"));
        h.add("CSeq: " + header(text, "CSeq"));
        if (dialog) {
            h.add("Contact: " + contact());
        }
        byte[] b = message("SIP/2.0 " + status + " " + reason, h, withSdp ? sdp() : null)
                .getBytes(StandardCharsets.UTF_8);
        sip.send(new DatagramPacket(b, b.length, req.from()));
    }

    // ------------------------------------------------------------------------------------------ media

    /** Sends {@code count} RTP packets (12-byte header, 160 bytes of PCMU silence) {@code gapMillis} apart. */
    void sendRtp(InetSocketAddress to, int count, long gapMillis) throws IOException, InterruptedException {
        int ssrc = ThreadLocalRandom.current().nextInt();
        for (int i = 0; i < count; i++) {
            ByteBuffer p = ByteBuffer.allocate(172);
            p.put((byte) 0x80).put((byte) 0).putShort((short) i).putInt(i * 160).putInt(ssrc);
            while (p.hasRemaining()) {
                p.put((byte) 0xff);
            }
            rtp.send(new DatagramPacket(p.array(), 172, to));
            Thread.sleep(gapMillis);
        }
    }

    private String sdp() {
        return "v=0\r\no=" + user + " 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio "
                + rtpPort() + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
    }

    /** The {@code m=audio} port of an SDP (or a message carrying one). */
    static int audioPort(String sdp) {
        Matcher m = Pattern.compile("(?m)^m=audio (\\d+) ").matcher(sdp);
        if (!m.find()) {
            throw new AssertionError("no m=audio in " + sdp);
        }
        return Integer.parseInt(m.group(1));
    }

    /** The {@code c=} address of an SDP. */
    static String connection(String sdp) {
        Matcher m = Pattern.compile("(?m)^c=IN IP4 (\\S+)").matcher(sdp);
        if (!m.find()) {
            throw new AssertionError("no c= line in " + sdp);
        }
        return m.group(1);
    }

    // ------------------------------------------------------------------------------------------ text

    private String via(String branch) {
        return "SIP/2.0/UDP 127.0.0.1:" + sip.getLocalPort() + ";branch=" + branch + ";rport";
    }

    private String contact() {
        return "<sip:" + user + "@127.0.0.1:" + sip.getLocalPort() + ">";
    }

    private static String branch() {
        return "z9hG4bK-media-" + SEQ.incrementAndGet() + "-" + System.nanoTime();
    }

    private static String message(String startLine, List<String> headers, String body) {
        StringBuilder b = new StringBuilder(startLine).append("\r\n");
        headers.forEach(h -> b.append(h).append("\r\n"));
        if (body != null) {
            b.append("Content-Type: application/sdp\r\n");
        }
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        b.append("Content-Length: ").append(content.length).append("\r\n\r\n");
        return b.append(body == null ? "" : body).toString();
    }

    private void send(String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        sip.send(new DatagramPacket(b, b.length, pbx));
    }

    private String take(String what, Predicate<String> match) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Received r = inbox.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (r == null) {
                throw new AssertionError(user + ": no " + what + " within 10 s");
            }
            if (match.test(r.text())) {
                return r.text();
            }
        }
    }

    static int status(String response) {
        return response.startsWith("SIP/2.0 ") ? Integer.parseInt(response.substring(8, 11)) : -1;
    }

    private static boolean isResponse(String m, String callId, String method) {
        String cseq = header(m, "CSeq");
        return m.startsWith("SIP/2.0 ") && callId.equals(header(m, "Call-ID")) && cseq != null
                && cseq.endsWith(" " + method);
    }

    static String body(String message) {
        int i = message.indexOf("\r\n\r\n");
        return i < 0 ? "" : message.substring(i + 4);
    }

    /** Every value of a header (full or compact name), in order. */
    static List<String> headers(String message, String name) {
        List<String> out = new ArrayList<>();
        int end = message.indexOf("\r\n\r\n");
        for (String line : (end < 0 ? message : message.substring(0, end)).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                String n = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                if (COMPACT.getOrDefault(n, n).equals(name.toLowerCase(Locale.ROOT))) {
                    out.add(line.substring(colon + 1).trim());
                }
            }
        }
        return out;
    }

    static String header(String message, String name) {
        List<String> all = headers(message, name);
        return all.isEmpty() ? null : all.get(0);
    }

    private static String tagOf(String nameAddr) {
        Matcher m = Pattern.compile(";\\s*tag=([^;>\\s]+)").matcher(nameAddr.substring(Math.max(0,
                nameAddr.lastIndexOf('>'))));
        return m.find() ? m.group(1) : null;
    }

    private static String uriOf(String nameAddr) {
        int lt = nameAddr.indexOf('<');
        return lt < 0 ? nameAddr.split(";")[0].trim() : nameAddr.substring(lt + 1, nameAddr.indexOf('>', lt));
    }

    /** A comma-separated header value split outside angle brackets. */
    private static List<String> splitList(String value) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            depth += ch == '<' ? 1 : ch == '>' ? -1 : 0;
            if (ch == ',' && depth == 0) {
                out.add(value.substring(start, i).trim());
                start = i + 1;
            }
        }
        out.add(value.substring(start).trim());
        return out;
    }

    /** The (Proxy-)Authorization value answering the MD5 challenge of {@code challenge} (RFC 2617, qop auth). */
    private String authorization(String challenge, String header, String method, String uri) {
        Map<String, String> p = new java.util.HashMap<>();
        for (String v : headers(challenge, header)) {
            Matcher m = PARAM.matcher(v.replaceFirst("(?i)^Digest\\s+", ""));
            Map<String, String> one = new java.util.HashMap<>();
            while (m.find()) {
                one.put(m.group(1).toLowerCase(Locale.ROOT), m.group(3) != null ? m.group(3) : m.group(2));
            }
            if (one.getOrDefault("algorithm", "MD5").equalsIgnoreCase("MD5")) {
                p = one;
                break;
            }
        }
        String realm = p.get("realm");
        String nonce = p.get("nonce");
        String ha1 = md5(user + ":" + realm + ":" + password);
        String ha2 = md5(method + ":" + uri);
        String cnonce = Long.toHexString(System.nanoTime());
        String response = md5(ha1 + ":" + nonce + ":00000001:" + cnonce + ":auth:" + ha2);
        return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce + "\", uri=\"" + uri
                + "\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"" + cnonce + "\", response=\"" + response + "\""
                + (p.containsKey("opaque") ? ", opaque=\"" + p.get("opaque") + "\"" : "");
    }

    private static String md5(String s) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        sip.close();
        rtp.close();
    }
}
