package io.siprelay.dispatcher;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Target;
import io.siprelay.core.route.TxKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.message.Request;

/** The hot path of {@code ds_select_dst} / {@code ds_next_dst} in one place, apart from loading and probing. */
final class Selector {

    private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"?([^\",]*)\"?",
            Pattern.CASE_INSENSITIVE);

    private final Dispatcher owner;
    private final SipCodec codec;
    private final CallLoad callLoad;
    private final TxKey<Dispatcher.Selection> selectionKey;

    Selector(Dispatcher owner, SipCodec codec, CallLoad callLoad, TxKey<Dispatcher.Selection> selectionKey) {
        this.owner = owner;
        this.codec = codec;
        this.callLoad = callLoad;
        this.selectionKey = selectionKey;
    }

    /** {@link Dispatcher#select} and {@link Dispatcher#selectDomain}. */
    boolean select(RequestContext ctx, int setId, Algorithm alg, Function<RequestContext, String> hashKey,
                   boolean domain, int limit) {
        Objects.requireNonNull(alg, "algorithm");
        String key = alg.isHash() ? hashKey(ctx, alg, hashKey) : null;
        Algorithm effective = alg == Algorithm.AUTH_USERNAME && key == null ? Algorithm.ROUND_ROBIN : alg;
        List<Destination> order = candidates(setId, effective, key);
        if (limit > 0 && order.size() > limit) {
            order = order.subList(0, limit);
        }
        if (order.isEmpty()) {
            return false;
        }
        Destination first = order.get(0);
        Dispatcher.Selection sel = new Dispatcher.Selection(setId, alg, domain);
        if (alg == Algorithm.PARALLEL) {
            String ruri = ctx.requestUri();
            apply(ctx, first, domain);
            for (Destination d : order.subList(1, order.size())) {
                ctx.appendBranch(domain ? new Target(rewriteHostPort(ruri, d), null, 1.0f)
                        : new Target(ruri, d.uri(), 1.0f));
            }
            sel.current = first;
            ctx.set(selectionKey, sel);
            return true;
        }
        if (alg == Algorithm.CALL_LOAD && ctx.isMethod(Request.INVITE)) {
            String callId = ctx.callId();
            if (!callLoad.reserve(callId, first)) {
                return false;
            }
            sel.callId = callId;
            callLoad.hookReplies(ctx);
        }
        apply(ctx, first, domain);
        sel.current = first;
        sel.remaining.addAll(order.subList(1, order.size()));
        ctx.set(selectionKey, sel);
        return true;
    }

    /** {@link Dispatcher#next}. */
    boolean next(RequestContext ctx) {
        Dispatcher.Selection sel = ctx.get(selectionKey);
        if (sel == null) {
            return false;
        }
        while (!sel.remaining.isEmpty()) {
            Destination d = sel.remaining.pollFirst();
            if (!d.isUsable()) {
                continue;
            }
            if (sel.callId != null) {
                callLoad.release(sel.callId);
                if (!callLoad.reserve(sel.callId, d)) {
                    continue;
                }
                callLoad.hookReplies(ctx);
            }
            apply(ctx, d, sel.domain);
            sel.current = d;
            return true;
        }
        if (sel.callId != null) {
            callLoad.release(sel.callId);
        }
        return false;
    }

    /** {@link Dispatcher#candidates}. */
    List<Destination> candidates(int setId, Algorithm alg, String hashKey) {
        DsSet set = owner.snapshot.sets.get(setId);
        if (set == null) {
            return List.of();
        }
        List<Destination> usable = new ArrayList<>(set.dests.size());
        for (Destination d : set.dests) {
            if (d.isUsable()) {
                usable.add(d);
            }
        }
        if (usable.isEmpty()) {
            return List.of();
        }
        switch (alg) {
            case CALL_ID, FROM_URI, TO_URI, REQUEST_URI, AUTH_USERNAME, HASH_KEY -> {
                if (hashKey == null) {
                    return rotate(usable, set.rr);
                }
                long k = Hashing.hash64(hashKey);
                usable.sort(Comparator.comparingLong((Destination d) -> Hashing.score(k, d.hashSeed)).reversed());
                return usable;
            }
            case ROUND_ROBIN -> {
                return rotate(usable, set.rr);
            }
            case RANDOM -> {
                Destination pick = usable.remove(ThreadLocalRandom.current().nextInt(usable.size()));
                usable.add(0, pick);
                return usable;
            }
            case PRIORITY, PARALLEL -> {
                return usable; // a set is kept in priority order
            }
            case WEIGHT -> {
                return firstThenRest(usable, set.weights.pick(usable, d -> set.percent.get(d)));
            }
            case RELATIVE_WEIGHT -> {
                return firstThenRest(usable, set.rweights.pick(usable, d -> Math.max(0, d.attrs().rweight())));
            }
            case CALL_LOAD -> {
                List<Destination> open = new ArrayList<>();
                for (Destination d : usable) {
                    int max = d.attrs().maxload();
                    if (max == 0 || callLoad.load(d.duid()) < max) {
                        open.add(d);
                    }
                }
                open.sort(Comparator.comparingInt(d -> callLoad.load(d.duid())));
                return open;
            }
            case LATENCY -> {
                usable.sort(Comparator.comparingLong(Selector::adjustedPriority).reversed());
                long best = adjustedPriority(usable.get(0));
                int ties = 0;
                while (ties < usable.size() && adjustedPriority(usable.get(ties)) == best) {
                    ties++;
                }
                List<Destination> top = rotate(usable.subList(0, ties), set.rr);
                List<Destination> out = new ArrayList<>(top);
                out.addAll(usable.subList(ties, usable.size()));
                return out;
            }
            default -> throw new IllegalArgumentException("unsupported algorithm " + alg);
        }
    }

    private static long adjustedPriority(Destination d) {
        int p = d.priority();
        double est = d.health().estimate();
        return Math.round(p - est / (p > 0 ? p : 1));
    }

    private static List<Destination> rotate(List<Destination> usable, AtomicLong counter) {
        int n = usable.size();
        int start = (int) Math.floorMod(counter.getAndIncrement(), (long) n);
        List<Destination> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(usable.get((start + i) % n));
        }
        return out;
    }

    private static List<Destination> firstThenRest(List<Destination> usable, Destination first) {
        if (first == null) {
            return usable;
        }
        List<Destination> out = new ArrayList<>(usable.size());
        out.add(first);
        for (Destination d : usable) {
            if (d != first) {
                out.add(d);
            }
        }
        return out;
    }

    private String hashKey(RequestContext ctx, Algorithm alg, Function<RequestContext, String> fn) {
        return switch (alg) {
            case CALL_ID -> ctx.callId();
            case FROM_URI -> userAtHost(ctx.fromUser(), ctx.fromDomain(), ctx.fromUri());
            case TO_URI -> userAtHost(ctx.toUser(), null, ctx.toUri());
            case REQUEST_URI -> requestUriKey(ctx);
            case AUTH_USERNAME -> authUser(ctx);
            case HASH_KEY -> {
                if (fn == null) {
                    throw new IllegalStateException("algorithm 7 needs a hash key: select(ctx, set, HASH_KEY, fn) or"
                            + " builder.hashKey(fn)");
                }
                yield fn.apply(ctx);
            }
            default -> null;
        };
    }

    private static String userAtHost(String user, String host, String whole) {
        if (host == null) {
            return whole;
        }
        return user == null ? host : user + "@" + host;
    }

    private static String requestUriKey(RequestContext ctx) {
        URI u = ctx.request().getRequestURI();
        if (u instanceof SipURI s) {
            StringBuilder b = new StringBuilder();
            if (s.getUser() != null) {
                b.append(s.getUser()).append('@');
            }
            b.append(s.getHost());
            int port = s.getPort();
            if (port > 0 && port != 5060 && port != 5061) {
                b.append(':').append(port);
            }
            return b.toString();
        }
        return u.toString();
    }

    private static String authUser(RequestContext ctx) {
        for (String h : new String[] {"Authorization", "Proxy-Authorization"}) {
            String v = ctx.header(h);
            if (v != null) {
                Matcher m = USERNAME.matcher(v);
                if (m.find() && !m.group(1).isEmpty()) {
                    return m.group(1);
                }
            }
        }
        return null;
    }

    private void apply(RequestContext ctx, Destination d, boolean domain) {
        if (domain) {
            ctx.setRequestUri(rewriteHostPort(ctx.requestUri(), d));
        } else {
            ctx.setDestination(d.uri());
        }
    }

    private String rewriteHostPort(String ruri, Destination d) {
        try {
            URI u = codec.addressFactory().createURI(ruri);
            if (u instanceof SipURI s) {
                s.setHost(d.host());
                if (d.port() > 0) {
                    s.setPort(d.port());
                } else {
                    s.removePort();
                }
                return s.toString();
            }
            return ruri;
        } catch (ParseException e) {
            throw new IllegalArgumentException("cannot rewrite " + ruri + " to " + d.uri(), e);
        }
    }
}
