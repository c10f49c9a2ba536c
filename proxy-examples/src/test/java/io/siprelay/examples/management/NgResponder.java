package io.siprelay.examples.management;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in rtpengine on a UDP port of 127.0.0.1 for management tests: it answers ng commands ({@code <cookie>
 * d7:command4:pinge}) with pong/ok, with an error, or not at all, as {@link #mode} says, and remembers the commands.
 */
public final class NgResponder implements AutoCloseable {

    /** How it answers. */
    public enum Mode { ANSWER, ERROR, SILENT }

    private static final Pattern COMMAND = Pattern.compile("7:command(\\d+):");

    private final DatagramSocket socket;
    private final Thread thread;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    /** How the next commands are answered. */
    public volatile Mode mode;

    public NgResponder(Mode mode) throws SocketException {
        this.mode = mode;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.thread = new Thread(this::serve, "ng-responder-" + socket.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /** The instance spec to configure, {@code udp:127.0.0.1:PORT}. */
    public String spec() {
        return "udp:127.0.0.1:" + socket.getLocalPort();
    }

    /** The ng commands received so far, by name. */
    public List<String> commands() {
        return List.copyOf(commands);
    }

    private void serve() {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                return;
            }
            String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.ISO_8859_1);
            int space = text.indexOf(' ');
            if (space < 0) {
                continue;
            }
            String command = command(text.substring(space + 1));
            commands.add(command);
            String reply = switch (mode) {
                case SILENT -> null;
                case ERROR -> "d6:result5:error12:error-reason9:test downe";
                case ANSWER -> command.equals("ping") ? "d6:result4:ponge" : "d6:result2:oke";
            };
            if (reply != null) {
                byte[] out = (text.substring(0, space) + " " + reply).getBytes(StandardCharsets.ISO_8859_1);
                try {
                    socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }
    }

    private static String command(String bencoded) {
        Matcher m = COMMAND.matcher(bencoded);
        if (!m.find()) {
            return "?";
        }
        int n = Integer.parseInt(m.group(1));
        return bencoded.substring(m.end(), Math.min(bencoded.length(), m.end() + n));
    }

    @Override
    public void close() {
        socket.close();
    }
}
