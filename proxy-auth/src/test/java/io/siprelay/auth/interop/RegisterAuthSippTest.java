package io.siprelay.auth.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.DigestAlgorithm;
import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.db.AuthDatabase;
import io.siprelay.auth.db.JdbcSubscriberStore;
import io.siprelay.core.SipProxy;
import io.siprelay.core.transport.UdpTransport;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue acceptance: 1,000 SIPp users (injection file) REGISTER through a 401 challenge against a proxy over UDP
 * whose route is "REGISTER → auth check → 200", subscribers in H2; 0 failures. Only with {@code -Pinterop}.
 */
@Tag("interop")
@Timeout(180)
class RegisterAuthSippTest {

    static final int USERS = 1000;

    private AuthDatabase db;
    private SipProxy proxy;
    private InetSocketAddress udp;
    private final Map<AuthResult, AtomicLong> results = new ConcurrentHashMap<>();

    @BeforeEach
    void start() {
        SippRun.assumeInstalled();
        db = AuthDatabase.builder().url("jdbc:h2:mem:sipp-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1").open();
        JdbcSubscriberStore store = new JdbcSubscriberStore(db);
        for (int i = 0; i < USERS; i++) {
            store.add(user(i), "example.com", password(i));
        }
        // SIPp 3.6 only computes MD5 and reads the first challenge header: offer MD5 first for it
        DigestAuth auth = DigestAuth.builder().subscribers(store)
                .algorithms(DigestAlgorithm.MD5, DigestAlgorithm.SHA_256).build();
        UdpTransport u = new UdpTransport(new InetSocketAddress("127.0.0.1", 0));
        proxy = SipProxy.builder().listen(u).requestRoute(ctx -> {
            if (!ctx.isMethod("REGISTER")) {
                return ctx.reply(405, "Method Not Allowed");
            }
            AuthResult r = auth.check(ctx, ctx.fromDomain());
            results.computeIfAbsent(r, k -> new AtomicLong()).incrementAndGet();
            return r.isOk() ? ctx.reply(200, "OK") : auth.challenge(ctx, ctx.fromDomain());
        }).build().start();
        udp = u.localAddress();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (db != null) {
            db.close();
        }
    }

    static String user(int i) {
        return String.format(Locale.ROOT, "user%04d", i);
    }

    static String password(int i) {
        return "pw-" + Integer.toHexString(i * 7919 + 13);
    }

    @Test
    void thousandUsersRegisterWithDigest() throws Exception {
        StringBuilder csv = new StringBuilder("SEQUENTIAL\n");
        for (int i = 0; i < USERS; i++) {
            csv.append(user(i)).append(";example.com;[authentication username=").append(user(i))
                    .append(" password=").append(password(i)).append("]\n");
        }
        SippRun.Result r = SippRun.run("/sipp/register-auth.xml", csv.toString(), udp, USERS, 200, 100,
                Duration.ofSeconds(90));
        System.out.printf(Locale.ROOT, "SIPp REGISTER+auth: exit=%d calls=%d successful=%d failed=%d"
                        + " retransmissions=%d elapsed=%d ms, proxy results %s%n", r.exitCode(),
                r.counter("TotalCallCreated"), r.counter("SuccessfulCall"), r.counter("FailedCall"),
                r.counter("Retransmissions"), r.elapsed().toMillis(), results);
        String why = r.diagnostics();
        assertThat(r.timedOut()).as(why).isFalse();
        assertThat(r.exitCode()).as(why).isZero();
        assertThat(r.counter("SuccessfulCall")).as(why).isEqualTo(USERS);
        assertThat(r.counter("FailedCall")).as(why).isZero();
        assertThat(results.get(AuthResult.OK)).as(why).hasValueGreaterThanOrEqualTo(USERS);
    }
}
