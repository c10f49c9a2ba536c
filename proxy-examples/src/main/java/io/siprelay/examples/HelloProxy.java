package io.siprelay.examples;

import io.siprelay.core.SipProxy;
import io.siprelay.core.proxy.Listener;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.transport.TcpTransport;
import io.siprelay.core.transport.UdpTransport;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * Kamailio 101 part 3 as a running proxy: INVITE gets 480 "Temporarily Unavailable", everything else 501 "Not
 * Implemented", over UDP and TCP.
 *
 * <pre>
 * request_route {
 *     if (is_method("INVITE")) route(INVITE);
 *     sl_reply("501", "Not Implemented");
 * }
 * route[INVITE] {
 *     sl_reply("480", "Temporarily Unavailable");
 *     exit;
 * }
 * </pre>
 *
 * Usage: {@code java -jar siprelay-example.jar [address] [port]} (default 127.0.0.1 5060).
 */
public final class HelloProxy {

    /** route[INVITE]: a reply is terminal, so it is the exit. */
    static final Route INVITE = Route.named("INVITE", ctx -> ctx.reply(480, "Temporarily Unavailable"));

    /** request_route. */
    static final Route REQUEST = Route.named("request_route", ctx -> {
        if (ctx.isMethod("INVITE")) {
            Step s = ctx.route(INVITE);
            if (s.isDone()) {
                return s;
            }
        }
        return ctx.reply(501, "Not Implemented");
    });

    private HelloProxy() {
    }

    public static void main(String[] args) throws InterruptedException {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port;
        try {
            port = args.length > 1 ? Integer.parseInt(args[1]) : 5060;
        } catch (NumberFormatException e) {
            System.err.println("port must be a number, got: " + args[1]);
            System.exit(2);
            return;
        }
        InetSocketAddress bind = new InetSocketAddress(host, port);
        SipProxy proxy = SipProxy.builder()
                .listen(new UdpTransport(bind))
                .listen(new TcpTransport(bind))
                .requestRoute(REQUEST)
                .build();
        try {
            proxy.start();
        } catch (RuntimeException e) {
            System.err.println("cannot start: " + e.getMessage());
            System.exit(1);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            proxy.close();
            stopped.countDown();
        }, "siprelay-shutdown"));
        for (Listener l : proxy.listeners()) {
            System.out.printf("SipRelay example (Kamailio 101 part 3) listening on %s %s:%d%n",
                    l.transport().type(), l.host(), l.port());
        }
        System.out.println("Ctrl-C to stop.");
        stopped.await();
    }
}
