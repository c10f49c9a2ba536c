package io.siprelay.auth.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.DigestAlgorithm;
import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.db.AuthDatabase;
import io.siprelay.auth.db.JdbcSubscriberStore;
import io.siprelay.core.SipProxy;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.testkit.Sipp;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue acceptance: 1,000 SIPp users (injection file) REGISTER through a 401 challenge against a proxy over UDP
 * whose route is "REGISTER → auth check → 200", subscribers in H2; 0 failures. Only with {@code -Pinterop}.
 */
@Tag("interop")
@Timeout(180)
class RegisterAuthSippTest {

    static final int USERS = 1000;

    @TempDir
    Path tmp;

    private AuthDatabase db;
    private SipProxy proxy;
    private InetSocketAddress udp;
    private final Map<AuthResult, AtomicLong> results = new ConcurrentHashMap<>();

    @BeforeEach
    void start() {
        Sipp.assumeInstalled();
        db = AuthDatabase.h2(tmp);
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
        Path users = Files.writeString(tmp.resolve("users.csv"), csv, StandardCharsets.ISO_8859_1);
        Sipp.Result r = Sipp.scenario("/sipp/register-auth.xml")
                .injectionFile(users)
                .target(udp)
                .calls(USERS)
                .rate(200)
                .limit(100)
                .globalTimeout(Duration.ofSeconds(90))
                .run();
        System.out.println(r.summary("REGISTER+auth") + ", proxy results " + results);
        String why = r.diagnostics();
        assertThat(r.timedOut()).as(why).isFalse();
        assertThat(r.exitCode()).as(why).isZero();
        assertThat(r.successfulCalls()).as(why).isEqualTo(USERS);
        assertThat(r.failedCalls()).as(why).isZero();
        assertThat(results.get(AuthResult.OK)).as(why).hasValueGreaterThanOrEqualTo(USERS);
    }
}
