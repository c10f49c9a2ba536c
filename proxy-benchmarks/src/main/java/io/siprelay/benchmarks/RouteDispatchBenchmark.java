package io.siprelay.benchmarks;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.transport.Flow;
import java.util.concurrent.TimeUnit;
import javax.sip.message.Request;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Route dispatch: one request through a Kamailio-style {@code request_route} of nested named blocks
 * ({@link Route#seq}, {@link Route#when}, {@code ctx.route(...)}) with method tests and header reads, up to a terminal
 * action. The requests are parsed once in {@link #setUp}; each operation creates a fresh request context (as the
 * core does per request: a few small objects) and runs {@code ctx.route(requestRoute)} as the core does. The
 * terminal actions of {@link BenchContext} only record the action: no reply is built, nothing is relayed, so this
 * measures the route machinery and the getters the blocks call, not parsing, the transaction layer or sending.
 *
 * <pre>
 * request_route = seq(
 *   REQINIT       Max-Forwards header read (483 at 0), User-Agent read (403 for scanners)
 *   WITHINDLG     hasToTag(): ACK → drop, else 404 (no loose routing here)
 *   when(OPTIONS to us) → route(OPTIONS): 200
 *   when(REGISTER) → route(REGISTRAR): 403 (no registrar here)
 *   CLASSIFY      Request-URI user read; when it is numeric route(PSTN), which a softphone's alice/bob URI skips;
 *                 Supported header read
 *   RELAY         isMethod INVITE → recordRoute; relay
 * )
 * </pre>
 *
 * <ul>
 *   <li>{@link #inviteToRelay}: {@link Messages#INVITE} falls through every block to RELAY, the deepest path: 7
 *       {@code ctx.route} calls (request_route, REQINIT, WITHINDLG, two {@code when} whose condition is false,
 *       CLASSIFY, RELAY), reads of Max-Forwards, User-Agent, To (tag), Supported (twice) and the Request-URI
 *       user;</li>
 *   <li>{@link #optionsToReply}: {@link Messages#OPTIONS} is answered 200 in the nested OPTIONS block, after
 *       REQINIT and WITHINDLG.</li>
 * </ul>
 *
 * Both return the {@code Step} and hand the context to the {@code Blackhole}, so nothing the route did can be
 * eliminated.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RouteDispatchBenchmark {

    private SipCodec codec;
    private Flow source;
    private Request invite;
    private Request options;
    private Route requestRoute;

    @Setup(Level.Trial)
    public void setUp() {
        codec = SipCodec.create();
        source = BenchContext.udpFrom("10.1.2.3", 5060);
        invite = Messages.parse(codec, Messages.INVITE).request();
        options = Messages.parse(codec, Messages.OPTIONS).request();
        requestRoute = requestRoute();

        BenchContext ctx = new BenchContext(invite, source, codec);
        Step s = ctx.route(requestRoute);
        check(s.isDone() && "relay".equals(ctx.action) && "RELAY".equals(ctx.actionBlock) && ctx.isRecordRouted(),
                "INVITE relayed in RELAY with record-route, got " + s + " " + ctx.action + " in " + ctx.actionBlock);
        ctx = new BenchContext(options, source, codec);
        s = ctx.route(requestRoute);
        check(s.isDone() && "reply".equals(ctx.action) && ctx.replyStatus == 200
                        && "OPTIONS".equals(ctx.actionBlock),
                "OPTIONS answered 200 in OPTIONS, got " + s + " " + ctx.action + " " + ctx.replyStatus + " in "
                        + ctx.actionBlock);
    }

    static Route requestRoute() {
        Route reqinit = Route.named("REQINIT", ctx -> {
            String maxForwards = ctx.header("Max-Forwards");
            if (maxForwards == null || "0".equals(maxForwards)) {
                return ctx.reply(483, "Too Many Hops");
            }
            String ua = ctx.userAgent();
            if (ua != null && (ua.startsWith("friendly-scanner") || ua.startsWith("sipvicious"))) {
                return ctx.reply(403, "Forbidden");
            }
            return Step.next();
        });
        Route withinDialog = Route.named("WITHINDLG", ctx -> {
            if (!ctx.hasToTag()) {
                return Step.next();
            }
            return ctx.isMethod("ACK") ? ctx.drop() : ctx.reply(404, "Not here");
        });
        Route optionsToUs = Route.when(ctx -> ctx.isMethod("OPTIONS") && ctx.requestUser() != null,
                Route.named("OPTIONS", ctx -> ctx.reply(200, "OK")));
        Route register = Route.when(ctx -> ctx.isMethod("REGISTER"),
                Route.named("REGISTRAR", ctx -> ctx.reply(403, "No registrar here")));
        Route pstn = Route.named("PSTN", ctx -> {
            ctx.setDestination("sip:192.0.2.10:5060");
            return ctx.relay();
        });
        Route classify = Route.named("CLASSIFY", ctx -> {
            String user = ctx.requestUser();
            if (user != null && !user.isEmpty() && Character.isDigit(user.charAt(0))) {
                Step s = ctx.route(pstn);
                if (s.isDone()) {
                    return s;
                }
            }
            if (ctx.hasHeader("Supported") && ctx.header("Supported").contains("100rel")) {
                ctx.addHeader("X-Reliable", "yes"); // not taken by the benchmark's messages
            }
            return Step.next();
        });
        Route relay = Route.named("RELAY", ctx -> {
            if (ctx.isMethod("INVITE")) {
                ctx.recordRoute();
            }
            return ctx.relay();
        });
        return Route.named("request_route", Route.seq(reqinit, withinDialog, optionsToUs, register, classify, relay));
    }

    /** INVITE through every block to the relay. */
    @Benchmark
    public Step inviteToRelay(Blackhole bh) {
        BenchContext ctx = new BenchContext(invite, source, codec);
        bh.consume(ctx);
        return ctx.route(requestRoute);
    }

    /** OPTIONS answered in a nested block. */
    @Benchmark
    public Step optionsToReply(Blackhole bh) {
        BenchContext ctx = new BenchContext(options, source, codec);
        bh.consume(ctx);
        return ctx.route(requestRoute);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("setup check failed: " + what);
        }
    }
}
