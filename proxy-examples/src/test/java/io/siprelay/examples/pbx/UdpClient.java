package io.siprelay.examples.pbx;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** A bare UDP SIP client for loopback tests: writes request text, reads the answer text. */
public final class UdpClient implements AutoCloseable {

    private static final AtomicLong SEQ = new AtomicLong();
    private final DatagramSocket socket;
    private final InetSocketAddress proxy;
    private String contactHost = "127.0.0.1";

    public UdpClient(InetSocketAddress proxy) throws IOException {
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.socket.setSoTimeout(5000);
        this.proxy = proxy;
    }

    int port() {
        return socket.getLocalPort();
    }

    String branch() {
        return "z9hG4bK-udp-" + SEQ.incrementAndGet() + "-" + System.nanoTime();
    }

    public void send(String text) throws IOException {
        byte[] b = text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
        socket.send(new DatagramPacket(b, b.length, proxy));
    }

    /** The next final response (provisionals are skipped). */
    public String receiveFinal() throws IOException {
        while (true) {
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            socket.receive(p);
            String s = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            if (!s.startsWith("SIP/2.0 1")) {
                return s;
            }
        }
    }

    /** The next message of any kind. */
    public String receive() throws IOException {
        byte[] buf = new byte[65535];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }

    /** Sends a 200 OK to a request text received from the proxy, along its Via. */
    public void answer200(String request) throws IOException {
        StringBuilder b = new StringBuilder("SIP/2.0 200 OK\n");
        for (String name : List.of("Via", "From", "To", "Call-ID", "CSeq")) {
            for (String v : headers(request, name)) {
                b.append(name).append(": ").append(v).append(name.equals("To") && !v.contains("tag=") ? ";tag=ok" : "")
                        .append('\n');
            }
        }
        send(b.append("Content-Length: 0\n\n").toString());
    }

    public static int status(String response) {
        return Integer.parseInt(response.substring(8, 11));
    }

    /** Every value of a header in a message text. */
    static List<String> headers(String message, String name) {
        List<String> out = new ArrayList<>();
        for (String line : message.split("\r\n")) {
            int c = line.indexOf(':');
            if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
                out.add(line.substring(c + 1).trim());
            }
        }
        return out;
    }

    /** REGISTER {@code user@domain} with digest authentication; returns the final answer to the second REGISTER. */
    public String register(String user, String domain, String password) throws IOException {
        return register(user, domain, password, "127.0.0.1");
    }

    /** As {@link #register(String, String, String)}, with this host in Contact (a private one: behind NAT). */
    public String register(String user, String domain, String password, String contactHost) throws IOException {
        this.contactHost = contactHost;
        String callId = "reg-" + SEQ.incrementAndGet() + "@test";
        String first = registerText(user, domain, callId, 1, null);
        send(first);
        String challenge = receiveFinal();
        if (status(challenge) != 401) {
            return challenge;
        }
        String auth = Digests.answer(Digests.pick(headers(challenge, "WWW-Authenticate")), user, password,
                "REGISTER", "sip:" + domain);
        send(registerText(user, domain, callId, 2, auth));
        return receiveFinal();
    }

    private String registerText(String user, String domain, String callId, int cseq, String auth) {
        return "REGISTER sip:" + domain + " SIP/2.0\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:" + port() + ";branch=" + branch() + ";rport\n"
                + "Max-Forwards: 70\n"
                + "From: <sip:" + user + "@" + domain + ">;tag=r" + cseq + "\n"
                + "To: <sip:" + user + "@" + domain + ">\n"
                + "Call-ID: " + callId + "\n"
                + "CSeq: " + cseq + " REGISTER\n"
                + "Contact: <sip:" + user + "@" + contactHost + ":" + port() + ">\n"
                + "Expires: 3600\n"
                + (auth != null ? "Authorization: " + auth + "\n" : "")
                + "Content-Length: 0\n\n";
    }

    public String options(String domain) {
        return "OPTIONS sip:" + domain + " SIP/2.0\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:" + port() + ";branch=" + branch() + ";rport\n"
                + "Max-Forwards: 70\n"
                + "From: <sip:ping@127.0.0.1>;tag=o1\n"
                + "To: <sip:" + domain + ">\n"
                + "Call-ID: opt-" + SEQ.incrementAndGet() + "@test\n"
                + "CSeq: 1 OPTIONS\n"
                + "Content-Length: 0\n\n";
    }

    @Override
    public void close() {
        socket.close();
    }
}
