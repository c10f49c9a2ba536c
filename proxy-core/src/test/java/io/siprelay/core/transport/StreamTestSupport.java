package io.siprelay.core.transport;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Socket helpers shared by the stream transport tests (TCP and TLS). */
final class StreamTestSupport {

    private StreamTestSupport() {
    }

    static void write(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(US_ASCII));
        out.flush();
    }

    /** Exactly {@code length} bytes (the socket's timeout bounds the wait). */
    static String read(Socket s, int length) throws IOException {
        byte[] buf = new byte[length];
        InputStream in = s.getInputStream();
        int off = 0;
        while (off < length) {
            int n = in.read(buf, off, length - off);
            if (n < 0) {
                throw new IOException("EOF after " + off + " of " + length + " bytes");
            }
            off += n;
        }
        return new String(buf, US_ASCII);
    }

    /** Polls {@code condition} every 10 ms for up to 5 s. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
