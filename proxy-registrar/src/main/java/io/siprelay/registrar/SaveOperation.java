package io.siprelay.registrar;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Step;
import io.siprelay.registrar.Registrar.TooManyContactsMode;
import io.siprelay.registrar.store.Binding;
import io.siprelay.registrar.store.LocationStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** {@link Registrar#save(RequestContext)}: applies a REGISTER to the stored bindings and writes the 200 OK. */
final class SaveOperation {

    private final SipClock clock;
    private final LocationStore store;
    private final Aors aors;
    private final ContactParser parser;
    private final int maxContacts;
    private final TooManyContactsMode tooManyContactsMode;
    private final int retryAfter;
    private final long retransmissionWindowMillis;
    private final String ruidPrefix;
    private final AtomicLong ruidCounter = new AtomicLong();

    SaveOperation(SipClock clock, LocationStore store, Aors aors, ContactParser parser, int maxContacts,
                  TooManyContactsMode tooManyContactsMode, int retryAfter, long retransmissionWindowMillis) {
        this.clock = clock;
        this.store = store;
        this.aors = aors;
        this.parser = parser;
        this.maxContacts = maxContacts;
        this.tooManyContactsMode = tooManyContactsMode;
        this.retryAfter = retryAfter;
        this.retransmissionWindowMillis = retransmissionWindowMillis;
        this.ruidPrefix = "uloc-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff)) + "-";
    }

    Step.Done save(RequestContext ctx) {
        long now = clock.wallMillis();
        String aor;
        SaveRequest sr;
        try {
            aor = aors.aorOf(aors.toUri(ctx));
            sr = parser.parse(ctx, aor, now);
        } catch (Reject r) {
            ctx.set(Registrar.SAVE_RESULT, SaveResult.REJECTED);
            return r.send(ctx);
        }
        SaveResult[] outcome = {SaveResult.RETURNED};
        List<Binding> after;
        try {
            if (sr.contacts().isEmpty() && !sr.wildcard()) {
                after = store.get(aor, now);
            } else {
                after = store.update(aor, now, current -> apply(sr, current, now, outcome));
            }
        } catch (Reject r) {
            ctx.set(Registrar.SAVE_RESULT, SaveResult.REJECTED);
            return r.send(ctx);
        } catch (RuntimeException e) {
            ctx.set(Registrar.SAVE_RESULT, SaveResult.REJECTED);
            org.slf4j.LoggerFactory.getLogger(Registrar.class).error("location store failed saving {}", aor, e);
            return ctx.reply(500, "Server Internal Error",
                    List.of("P-Registrar-Error: Error while accessing location database"));
        }
        ctx.set(Registrar.SAVE_RESULT, outcome[0]);
        boolean echoPath = sr.path() != null && PathHeaders.supportsPath(ctx);
        // header lines rather than JAIN-SIP headers: the 200 is cut from the REGISTER's bytes, which stay unparsed
        List<Binding> sorted = new ArrayList<>(after);
        sorted.sort(Lookup.LOOKUP_ORDER);
        List<String> lines = new ArrayList<>(sorted.size() + 2);
        for (Binding b : sorted) {
            lines.add("Contact: " + contactValue(b, now));
        }
        if (echoPath) {
            for (String hop : PathHeaders.splitPath(sr.path())) {
                lines.add("Path: " + hop);
            }
        }
        lines.add("Date: " + sipDate(now));
        return ctx.reply(200, "OK", lines);
    }

    /** The Date of this second, formatted once a second rather than once a REGISTER. */
    private String sipDate(long now) {
        SipDate d = lastDate;
        long second = Math.floorDiv(now, 1000);
        if (d == null || d.second != second) {
            d = new SipDate(second, HTTP_DATE.format(java.time.Instant.ofEpochSecond(second)));
            lastDate = d;
        }
        return d.text;
    }

    private record SipDate(long second, String text) {
    }

    private volatile SipDate lastDate;

    /** RFC 3261 §20.17 SIP-date (RFC 1123, two-digit day, always GMT). */
    private static final java.time.format.DateTimeFormatter HTTP_DATE = java.time.format.DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(java.time.ZoneOffset.UTC);

    private List<Binding> apply(SaveRequest sr, List<Binding> current, long now, SaveResult[] outcome) {
        if (sr.wildcard()) {
            for (Binding b : current) {
                if (b.callId().equals(sr.callId()) && b.cseq() > sr.cseq()) {
                    throw new Reject(400, "Bad Request", "Invalid CSeq number");
                }
            }
            outcome[0] = current.isEmpty() ? SaveResult.RETURNED : SaveResult.DELETED;
            return List.of();
        }
        List<Binding> next = new ArrayList<>(current);
        List<String> touched = new ArrayList<>();
        boolean inserted = false;
        boolean updated = false;
        boolean deleted = false;
        for (ContactSpec c : sr.contacts()) {
            int idx = indexOf(next, c);
            if (idx >= 0) {
                Binding old = next.get(idx);
                if (old.callId().equals(sr.callId())) {
                    if (sr.cseq() == old.cseq() && now - old.lastModified() <= retransmissionWindowMillis) {
                        outcome[0] = SaveResult.RETURNED; // a retransmission: answer, change nothing
                        return current;
                    }
                    if (sr.cseq() <= old.cseq()) {
                        throw new Reject(400, "Bad Request", "Invalid CSeq number");
                    }
                }
                if (c.expires() == 0) {
                    next.remove(idx);
                    deleted = true;
                } else {
                    next.set(idx, binding(old.ruid(), sr, c, now));
                    touched.add(old.ruid());
                    updated = true;
                }
            } else if (c.expires() > 0) {
                Binding b = binding(newRuid(now), sr, c, now);
                next.add(b);
                touched.add(b.ruid());
                inserted = true;
            }
        }
        if (maxContacts > 0 && next.size() > maxContacts) {
            if (tooManyContactsMode == TooManyContactsMode.REJECT || touched.size() > maxContacts) {
                throw new Reject(503, "Too many registered contacts", null, retryAfter);
            }
            List<Binding> others = new ArrayList<>();
            for (Binding b : next) {
                if (!touched.contains(b.ruid())) {
                    others.add(b);
                }
            }
            others.sort(Comparator.comparingLong(Binding::lastModified));
            for (Iterator<Binding> it = others.iterator(); it.hasNext() && next.size() > maxContacts; ) {
                next.remove(it.next());
                deleted = true;
            }
        }
        outcome[0] = inserted ? SaveResult.INSERTED : updated ? SaveResult.UPDATED
                : deleted ? SaveResult.DELETED : SaveResult.RETURNED;
        return next;
    }

    private static int indexOf(List<Binding> bindings, ContactSpec c) {
        for (int i = 0; i < bindings.size(); i++) {
            Binding b = bindings.get(i);
            if (c.instance() != null && c.regId() > 0) {
                if (c.instance().equals(b.instance()) && c.regId() == b.regId()) {
                    return i;
                }
            } else if (b.contact().equals(c.uri())) {
                return i;
            }
        }
        return -1;
    }

    private Binding binding(String ruid, SaveRequest sr, ContactSpec c, long now) {
        long expiresAt = ((now + c.expires() * 1000L) / 1000L) * 1000L; // whole seconds, as the database keeps them
        int cflags = c.nated() ? Registrar.NAT_BFLAGS : 0;
        return new Binding(ruid, sr.aor(), c.uri(), c.received(), sr.path(), expiresAt, c.q(), sr.callId(), sr.cseq(),
                now, 0, cflags, sr.userAgent(), sr.socket(), c.methods() != null ? c.methods() : sr.methods(),
                c.instance(), c.regId());
    }

    private String newRuid(long now) {
        return ruidPrefix + Long.toHexString(now / 1000) + "-" + Long.toHexString(ruidCounter.incrementAndGet());
    }

    private String contactValue(Binding b, long now) {
        StringBuilder sb = new StringBuilder(96).append('<').append(b.contact()).append(">;expires=")
                .append(b.remainingSeconds(now));
        if (b.q() != 1.0f) {
            sb.append(";q=").append(formatQ(b.q()));
        }
        if (b.instance() != null) {
            sb.append(";+sip.instance=\"").append(b.instance()).append('"');
        }
        if (b.regId() > 0) {
            sb.append(";reg-id=").append(b.regId());
        }
        if (b.received() != null) {
            sb.append(";received=\"").append(b.received()).append('"');
        }
        return sb.toString();
    }

    static String formatQ(float q) {
        String s = String.format(Locale.ROOT, "%.3f", q);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s + "0" : s;
    }
}
