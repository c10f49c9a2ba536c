package io.siprelay.benchmarks;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.DigestAlgorithm;
import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.InMemorySubscriberStore;
import io.siprelay.auth.Qop;
import io.siprelay.auth.Subscriber;
import io.siprelay.core.SipProxy;
import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.SystemClock;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.transport.TransportOptions;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.registrar.Registrar;
import io.siprelay.registrar.store.MemoryLocationStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The SipRelay side of the Kamailio peer benchmark ({@code bench/run.sh}): the three apps that match the harness's
 * Kamailio configs, started by the harness with {@code --target cmd}. Configured only by the harness environment:
 *
 * <ul>
 *   <li>{@code BENCH_SCENARIO} {@code options}: stateless 200 OK to every OPTIONS ({@code stateless.cfg});</li>
 *   <li>{@code register}: MD5 digest (no qop, as {@code www_challenge(realm, "0")}) against the users of
 *       {@code BENCH_USERS_CSV}, then {@code save("location")} into memory ({@code registrar.cfg});</li>
 *   <li>{@code calls}: record-route, stateful relay to {@code BENCH_UAS_HOSTPORT}, in-dialog requests by loose
 *       routing ({@code proxy.cfg}).</li>
 * </ul>
 *
 * {@code BENCH_HOST}/{@code BENCH_PORT} give the UDP listener, {@code BENCH_REALM} the realm. Optional:
 * {@code BENCH_LANES} worker lanes (default 2: the harness pins the proxy to one core), {@code BENCH_QUEUE} queue per
 * lane (4096). Runs until SIGTERM; logs at WARN only. Run it with
 * {@code java -jar proxy-benchmarks/target/bench-proxy.jar}.
 */
public final class BenchProxy {

    /** Kamailio's maxbuffer in the bench configs. */
    static final int RECEIVE_BUFFER = 4 * 1024 * 1024;

    private BenchProxy() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        String scenario = env("BENCH_SCENARIO", args.length > 0 ? args[0] : "options");
        String host = env("BENCH_HOST", "127.0.0.1");
        int port = Integer.parseInt(env("BENCH_PORT", defaultPort(scenario)));
        int lanes = Integer.parseInt(env("BENCH_LANES", "2"));
        int queue = Integer.parseInt(env("BENCH_QUEUE", "4096"));

        SipClock clock = new SystemClock();
        Route route = switch (scenario) {
            case "options" -> options();
            case "register" -> register(clock, env("BENCH_REALM", "bench.test"),
                    Path.of(env("BENCH_USERS_CSV", "sipp/users.csv")));
            case "calls" -> calls(env("BENCH_UAS_HOSTPORT", "127.0.0.1:5090"));
            default -> throw new IllegalArgumentException("BENCH_SCENARIO must be options, register or calls: "
                    + scenario);
        };
        TransportOptions udp = TransportOptions.builder().receiveBufferBytes(RECEIVE_BUFFER).build();
        SipProxy proxy = SipProxy.builder()
                .clock(clock)
                .listen(new UdpTransport(new InetSocketAddress(host, port), udp))
                .workers(lanes, queue)
                .requestRoute(route)
                .build()
                .start();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            proxy.close();
            stopped.countDown();
        }, "bench-proxy-shutdown"));
        System.err.printf("BenchProxy %s listening on udp:%s:%d (%d lanes)%n", scenario, host, port, lanes);
        stopped.await();
    }

    /** {@code stateless.cfg}: OPTIONS → 200 (sl_send_reply), anything else 405. */
    static Route options() {
        return Route.named("request_route", ctx -> {
            if (ctx.isMethod("OPTIONS")) {
                return ctx.reply(200, "OK");
            }
            return ctx.reply(405, "Method Not Allowed");
        });
    }

    /** {@code registrar.cfg}: www_authorize / www_challenge(realm, "0") / save("location"). */
    static Route register(SipClock clock, String realm, Path usersCsv) throws IOException {
        InMemorySubscriberStore subscribers = new InMemorySubscriberStore();
        for (String[] u : readUsers(usersCsv)) {
            subscribers.put(Subscriber.withPassword(u[0], realm, u[1]));
        }
        DigestAuth auth = DigestAuth.builder()
                .subscribers(subscribers)
                .clock(clock)
                .algorithms(DigestAlgorithm.MD5)
                .qop(Qop.NONE)
                .build();
        Registrar registrar = Registrar.builder()
                .clock(clock)
                .store(new MemoryLocationStore(clock))
                .maxExpires(3600)
                .build();
        return Route.named("request_route", ctx -> {
            if (ctx.isMethod("REGISTER")) {
                AuthResult r = auth.wwwCheck(ctx, realm);
                if (!r.isOk()) {
                    return auth.wwwChallenge(ctx, realm);
                }
                return ctx.route(registrar.save());
            }
            if (ctx.isMethod("OPTIONS")) {
                return ctx.reply(200, "OK");
            }
            return ctx.reply(405, "Method Not Allowed");
        });
    }

    /** {@code proxy.cfg}: in-dialog by loose_route, initial INVITE record-routed and relayed to the UAS. */
    static Route calls(String uasHostPort) {
        int colon = uasHostPort.lastIndexOf(':');
        String uasHost = uasHostPort.substring(0, colon);
        int uasPort = Integer.parseInt(uasHostPort.substring(colon + 1));
        Route initial = Route.named("RELAY", ctx -> {
            if (ctx.isMethod("INVITE")) {
                ctx.recordRoute();
            }
            ctx.rewriteHostPort(uasHost, uasPort); // the "location lookup": every initial request goes to the UAS
            return ctx.relay();
        });
        return Route.seq(Dialogs.withinDialog(), initial);
    }

    /** users.csv: a {@code SEQUENTIAL} line, then {@code user;password;...}. */
    static List<String[]> readUsers(Path csv) throws IOException {
        return Files.readAllLines(csv, StandardCharsets.UTF_8).stream()
                .map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.equals("SEQUENTIAL") && !l.equals("RANDOM"))
                .map(l -> l.split(";"))
                .filter(f -> f.length >= 2)
                .toList();
    }

    private static String defaultPort(String scenario) {
        return switch (scenario) {
            case "register" -> "5161";
            case "calls" -> "5162";
            default -> "5160";
        };
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }
}
