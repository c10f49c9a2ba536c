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
import io.siprelay.core.proxy.ProxyStats;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.transport.TransportOptions;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.media.MediaFlags;
import io.siprelay.media.MediaRelay;
import io.siprelay.media.RtpEngine;
import io.siprelay.registrar.Registrar;
import io.siprelay.registrar.store.MemoryLocationStore;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The SipRelay side of the Kamailio peer benchmark ({@code bench/run.sh}): the three apps that match the harness's
 * Kamailio configs, started by the harness with {@code --target cmd}. Configured only by the harness environment:
 *
 * <ul>
 *   <li>{@code BENCH_SCENARIO} {@code options}: stateless 200 OK to every OPTIONS ({@code stateless.cfg});</li>
 *   <li>{@code register}: MD5 digest (no qop, as {@code www_challenge(realm, "0")}) against the users of
 *       {@code BENCH_USERS_CSV}, then {@code save("location")} into memory ({@code registrar.cfg});</li>
 *   <li>{@code calls}: record-route, stateful relay to {@code BENCH_UAS_HOSTPORT}, in-dialog requests by loose
 *       routing ({@code proxy.cfg});</li>
 *   <li>{@code mixed}: the three above on one listener, chosen by method (the soak test, {@code bench/soak.sh}):
 *       OPTIONS as {@code options}, REGISTER as {@code register}, everything else as {@code calls}; requests with a
 *       To-tag always go the {@code calls} way (loose routing).</li>
 * </ul>
 *
 * {@code BENCH_RTPENGINE} ({@code udp:127.0.0.1:2223}) sends the {@code calls} scenario's media through that rtpengine.
 * {@code BENCH_HOST}/{@code BENCH_PORT} give the UDP listener, {@code BENCH_REALM} the realm. Optional:
 * {@code BENCH_LANES} worker lanes (default 2: the harness pins the proxy to one core), {@code BENCH_QUEUE} queue per
 * lane (4096), {@code BENCH_WARMUP_MS} the start-up warm-up (default: {@code SipProxy.DEFAULT_WARMUP}), {@code BENCH_MAX_QUEUE_DELAY_MS} the overload bound (default: {@code LaneExecutor.DEFAULT_MAX_QUEUE_DELAY}), {@code BENCH_STATS_SECONDS} N: one {@code stats ...} line every N seconds (see {@link #startStats}) to
 * stdout or, with {@code BENCH_STATS_FILE}, appended to that file. Runs until SIGTERM; logs at WARN only. Run it with
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
            case "calls" -> calls(env("BENCH_UAS_HOSTPORT", "127.0.0.1:5090"), mediaFromEnv(clock));
            case "mixed" -> mixed(clock, env("BENCH_REALM", "bench.test"),
                    Path.of(env("BENCH_USERS_CSV", "sipp/users.csv")), env("BENCH_UAS_HOSTPORT", "127.0.0.1:5090"));
            default -> throw new IllegalArgumentException("BENCH_SCENARIO must be options, register, calls or mixed: "
                    + scenario);
        };
        TransportOptions.Builder udpOptions = TransportOptions.builder().receiveBufferBytes(RECEIVE_BUFFER);
        String readers = env("BENCH_UDP_READERS", null);
        if (readers != null) {
            udpOptions.udpReaders(Integer.parseInt(readers));
        }
        TransportOptions udp = udpOptions.build();
        SipProxy.Builder builder = SipProxy.builder();
        String warmupMs = env("BENCH_WARMUP_MS", null);
        if (warmupMs != null) {
            builder.warmup(java.time.Duration.ofMillis(Long.parseLong(warmupMs)));
        }
        String maxQueueDelayMs = env("BENCH_MAX_QUEUE_DELAY_MS", null);
        if (maxQueueDelayMs != null) {
            builder.maxQueueDelay(java.time.Duration.ofMillis(Long.parseLong(maxQueueDelayMs)));
        }
        SipProxy proxy = builder
                .clock(clock)
                .listen(new UdpTransport(new InetSocketAddress(host, port), udp))
                .workers(lanes, queue)
                .requestRoute(route)
                .build()
                .start();
        int statsSeconds = Integer.parseInt(env("BENCH_STATS_SECONDS", "0"));
        if (statsSeconds > 0) {
            String file = env("BENCH_STATS_FILE", null);
            startStats(proxy, statsSeconds,
                    file == null ? System.out : new PrintStream(new FileOutputStream(file, true), true,
                            StandardCharsets.UTF_8));
        }

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
        return calls(uasHostPort, null);
    }

    /**
     * {@link #calls(String)} with the media through rtpengine when {@code media} is not null: every request and
     * response with SDP passes {@code rtpengine_manage("replace-origin replace-session-connection")}.
     */
    static Route calls(String uasHostPort, MediaRelay media) {
        int colon = uasHostPort.lastIndexOf(':');
        String uasHost = uasHostPort.substring(0, colon);
        int uasPort = Integer.parseInt(uasHostPort.substring(colon + 1));
        MediaFlags flags = MediaFlags.parse("replace-origin replace-session-connection");
        Route relay = media == null ? RequestContext::relay : ctx -> media.manage(ctx, flags, c -> {
            if (c.isMethod("INVITE")) {
                c.onReply(reply -> media.manage(reply, flags));
            }
            return c.relay();
        });
        Route initial = Route.named("RELAY", ctx -> {
            if (ctx.isMethod("INVITE")) {
                ctx.recordRoute();
            }
            ctx.rewriteHostPort(uasHost, uasPort); // the "location lookup": every initial request goes to the UAS
            return ctx.route(relay);
        });
        return Route.seq(Dialogs.withinDialog(relay), initial);
    }

    /** BENCH_RTPENGINE {@code udp:host:port}: the calls' media through that rtpengine; unset: signalling only. */
    static MediaRelay mediaFromEnv(SipClock clock) {
        String spec = env("BENCH_RTPENGINE", null);
        if (spec == null || spec.isBlank()) {
            return null;
        }
        return MediaRelay.on(RtpEngine.builder().instance(spec).clock(clock).build());
    }

    /**
     * The soak test's app: {@link #options}, {@link #register} and {@link #calls} behind one listener. Initial
     * OPTIONS and REGISTER go to their routes; everything else (INVITE, and every request with a To-tag, which
     * {@code calls} relays by its route set) to {@code calls}.
     */
    static Route mixed(SipClock clock, String realm, Path usersCsv, String uasHostPort) throws IOException {
        Route options = options();
        Route register = register(clock, realm, usersCsv);
        Route calls = calls(uasHostPort);
        return Route.named("request_route", ctx -> {
            if (!ctx.hasToTag()) {
                if (ctx.isMethod("OPTIONS")) {
                    return ctx.route(options);
                }
                if (ctx.isMethod("REGISTER")) {
                    return ctx.route(register);
                }
            }
            return ctx.route(calls);
        });
    }

    /**
     * Prints one line every {@code seconds} from a daemon thread, until the JVM exits:
     * {@code stats t=<epoch s> serverTx=<n> clientTx=<n> relays=<n> received=<n> routed=<n> localTimeouts=<n>
     * overloadRejected=<n> heapUsedMB=<n> threads=<n> fds=<n>} (transaction counts of the transaction layer, relays
     * in progress, {@link ProxyStats} counters, heap in use without a GC, live Java threads, open file descriptors or
     * -1 where the JVM cannot tell).
     */
    static Thread startStats(SipProxy proxy, int seconds, PrintStream out) {
        Runtime rt = Runtime.getRuntime();
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Thread t = new Thread(() -> {
            long period = TimeUnit.SECONDS.toNanos(seconds);
            long next = System.nanoTime();
            while (true) {
                ProxyStats s = proxy.stats();
                long fds = os instanceof com.sun.management.UnixOperatingSystemMXBean u
                        ? u.getOpenFileDescriptorCount() : -1;
                out.printf("stats t=%d serverTx=%d clientTx=%d relays=%d received=%d routed=%d localTimeouts=%d"
                                + " overloadRejected=%d heapUsedMB=%d threads=%d fds=%d%n",
                        System.currentTimeMillis() / 1000, proxy.transactions().serverTransactionCount(),
                        proxy.transactions().clientTransactionCount(), proxy.activeRelays(), s.received(),
                        s.requestsRouted(), s.localTimeouts(), s.overloadRejected(),
                        (rt.totalMemory() - rt.freeMemory()) >> 20, threads.getThreadCount(), fds);
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "bench-stats");
        t.setDaemon(true);
        t.start();
        return t;
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
            case "mixed" -> "5163";
            default -> "5160";
        };
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }
}
