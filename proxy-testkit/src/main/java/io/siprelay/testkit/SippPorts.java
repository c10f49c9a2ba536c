package io.siprelay.testkit;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Ports on 127.0.0.1 for SIPp: finding a free one, and probing whether SIPp has bound its own. */
final class SippPorts {

    private SippPorts() {
    }

    /** A port free for both UDP and TCP on 127.0.0.1 right now (see {@link Sipp#freeLocalPort()}). */
    static int freeLocalPort() throws IOException {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        for (int attempt = 0; attempt < 50; attempt++) {
            try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(lo, 0))) {
                int port = d.getLocalPort();
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(lo, port));
                    return port;
                } catch (IOException taken) {
                    // TCP side busy: try another
                }
            }
        }
        throw new IOException("no free local port for SIPp");
    }

    /** Whether something holds the port on 127.0.0.1: we cannot bind it ourselves. */
    static boolean portTaken(Sipp.Transport transport, int port) {
        InetSocketAddress a = new InetSocketAddress("127.0.0.1", port);
        if (transport == Sipp.Transport.UDP) {
            try (DatagramSocket probe = new DatagramSocket(a)) {
                return false;
            } catch (IOException taken) {
                return true;
            }
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(a);
            return false;
        } catch (IOException taken) {
            return true;
        }
    }
}
