package io.siprelay.core.proxy.internal;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.proxy.internal.Forwarding.Hop;
import io.siprelay.core.proxy.internal.Forwarding.HopException;
import io.siprelay.core.route.BranchContext;
import io.siprelay.core.route.BranchRoute;
import io.siprelay.core.route.FailureRoute;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.ReplyRoute;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.Target;
import io.siprelay.core.route.TxKey;
import io.siprelay.core.route.RouteInternals;
import io.siprelay.core.transaction.internal.ServerTransaction;
import io.siprelay.core.transport.Flow;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import javax.sip.address.URI;
import javax.sip.header.Header;
import javax.sip.header.ProxyAuthenticateHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.header.WWWAuthenticateHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * One transaction-stateful relay (RFC 3261 §16, Kamailio's tm): the server transaction upstream, one client
 * transaction per branch downstream, parallel and serial forking, best-response selection (§16.7), CANCEL fan-out
 * (§16.10), fr/fr_inv/Timer C, and the failure, reply and branch routes. Everything of one call runs on its worker
 * lane (Call-ID key), so the object needs no lock.
 */
final class ProxyTransaction {

    final ProxyCore core;
    private final Forwarding forwarding;
    private final ServerTransaction server;
    /** incoming, template and the branches' messages are dropped in complete(): the relay may linger for 2xx. */
    private SipMessage incoming;
    final Flow source;
    final String callId;
    final boolean invite;
    final Map<TxKey<?>, Object> vars;
    private final boolean recordRoute;
    private final List<RelayBranch> branches = new ArrayList<>(4);
    private final ArrayDeque<List<Target>> laterGroups = new ArrayDeque<>();
    private final String localTag;

    /** The request as the route left it: every branch is a copy of it. */
    private Request template;
    private FailureRoute failureRoute;
    private ReplyRoute replyRoute;
    private BranchRoute branchRoute;
    private Duration fr;
    Duration frInv;

    private boolean sending;
    boolean canceled;
    Header cancelReason;
    private boolean answered;
    private boolean finalSent;
    private boolean saw6xx;
    private boolean done;
    private HopException lastHopError;
    /** onFinalResponse listeners of the request route and of failure-route relays. */
    private List<java.util.function.IntConsumer> finalListeners;

    private ProxyTransaction(ProxyCore core, RouteContext ctx, SipMessage incoming, ServerTransaction server) {
        this.core = core;
        this.forwarding = core.forwarding();
        this.server = server;
        this.incoming = incoming;
        this.source = ctx.source();
        this.callId = incoming.callId();
        this.invite = Request.INVITE.equals(incoming.method());
        this.vars = RouteInternals.sharedVars(ctx);
        this.recordRoute = ctx.isRecordRouted();
        this.localTag = "rl" + Long.toHexString(ProxyCore.hash(callId, incoming.topViaBranch()));
        adoptSettings(ctx);
    }

    /** t_relay from a request route. Answers errors itself; never throws for network trouble. */
    static void relay(ProxyCore core, RouteContext ctx, SipMessage incoming) {
        Request req = ctx.request();
        if (!core.forwarding().decrementMaxForwards(req)) {
            core.statelessReply(ctx.source(), incoming, 483, "Too Many Hops", r -> { });
            notifyFinal(RouteInternals.takeFinalListeners(ctx), 483);
            return;
        }
        if (core.activeRelays() >= core.maxRelays()) {
            core.rejectOverloaded(ctx.source(), incoming); // bounded state: 503 + Retry-After, counted
            notifyFinal(RouteInternals.takeFinalListeners(ctx), 503);
            return;
        }
        ServerTransaction server = core.transactions().createServer(incoming, ctx.source());
        ProxyTransaction pt = new ProxyTransaction(core, ctx, incoming, server);
        core.register(server, pt);
        if (pt.invite) {
            pt.respondLocal(100, "Trying", r -> { });
        }
        pt.start(ctx);
    }

    private void adoptSettings(RequestContext ctx) {
        this.template = ctx.request();
        this.failureRoute = RouteInternals.failureRoute(ctx);
        if (ctx.replyRoute() != null || replyRoute == null) {
            this.replyRoute = ctx.replyRoute(); // like t_on_reply, it stays armed through a failure-route relay
        }
        this.branchRoute = ctx.branchRoute();
        List<java.util.function.IntConsumer> listeners = RouteInternals.takeFinalListeners(ctx);
        if (listeners != null) {
            if (finalListeners == null) {
                finalListeners = new ArrayList<>(listeners.size());
            }
            finalListeners.addAll(listeners);
        }
        Duration frOverride = RouteInternals.frTimer(ctx);
        Duration frInvOverride = RouteInternals.frInvTimer(ctx);
        this.fr = frOverride != null ? frOverride : core.relayTimers().fr();
        this.frInv = frInvOverride != null ? frInvOverride : core.relayTimers().frInv();
    }

    /** Groups the targets by q (highest first) and sends the first group; errors out when nothing could be sent. */
    private boolean start(RequestContext ctx) {
        laterGroups.clear();
        TreeMap<Float, List<Target>> byQ = new TreeMap<>((a, b) -> Float.compare(b, a));
        byQ.computeIfAbsent(1.0f, q -> new ArrayList<>()).add(new Target(template.getRequestURI().toString(),
                ctx.destination(), 1.0f));
        for (Target t : ctx.appendedBranches()) {
            byQ.computeIfAbsent(t.q(), q -> new ArrayList<>()).add(t);
        }
        laterGroups.addAll(byQ.values());
        while (!laterGroups.isEmpty()) {
            if (sendGroup(laterGroups.poll()) > 0) {
                maybeFinish();
                return true;
            }
        }
        if (branches.isEmpty() || allFinal()) {
            maybeFinish();
        }
        return false;
    }

    private int sendGroup(List<Target> group) {
        int sent = 0;
        sending = true;
        try {
            for (Target t : group) {
                if (sendBranch(t)) {
                    sent++;
                }
            }
        } finally {
            sending = false;
        }
        return sent;
    }

    private boolean sendBranch(Target target) {
        Request copy = (Request) template.clone();
        if (!target.uri().equals(template.getRequestURI().toString())) {
            try {
                URI u = core.codec().addressFactory().createURI(target.uri());
                copy.setRequestURI(u);
            } catch (ParseException e) {
                lastHopError = new HopException(400, "Bad Target URI");
                return false;
            }
        }
        RelayBranch b = new RelayBranch(this, branches.size(), copy);
        if (branchRoute != null) {
            BranchContext bc = new BranchContext(copy, b.index, vars);
            branchRoute.handle(bc);
            if (bc.isDropped()) {
                return false;
            }
        }
        Hop hop;
        try {
            hop = forwarding.resolve(copy, target.destination());
        } catch (HopException e) {
            lastHopError = e;
            return false;
        }
        if (recordRoute) {
            forwarding.recordRoute(copy, core.listenerOf(source.transport()), hop);
        }
        forwarding.pushVia(copy, hop, core.newBranchId());
        branches.add(b);
        b.arm(fr, invite ? core.relayTimers().timerC() : null);
        b.client = core.transactions().sendRequest(SipMessage.of(copy),
                new Flow(hop.listener().transport(), hop.address()), b);
        core.counters().relayedBranches.increment();
        return true;
    }

    // ---------------------------------------------------------------- events

    /** A CANCEL for our INVITE arrived (already answered 200 by the core). */
    void cancel(Header reason) {
        if (done) {
            return;
        }
        canceled = true;
        cancelReason = reason;
        laterGroups.clear();
        for (RelayBranch b : branches) {
            b.cancel();
        }
        maybeFinish();
    }

    void onBranchResponse(RelayBranch b, SipMessage resp) {
        if (held != null) {
            held.add(new HeldResponse(b, resp)); // behind a response whose reply route is waiting
            return;
        }
        int code = resp.statusCode();
        if (code >= 200 && code < 300) {
            if (!b.isFinal) {
                b.finish(resp, false);
            }
        } else if (b.isFinal) {
            return; // a late final after our local timeout: the branch is decided
        } else if (code < 200) {
            b.onProvisional(code);
        } else {
            b.finish(resp, false);
        }
        ReplyContext rc = runReplyRoute(b, resp);
        ReplyContext.Suspension<?> waitFor = rc == null ? null : RouteInternals.takeSuspension(rc);
        if (waitFor != null) {
            hold(b, resp, rc, waitFor);
            return;
        }
        afterReplyRoute(b, resp, rc);
    }

    /** What a response does once its reply route has run: go upstream, cancel other branches, decide. */
    private void afterReplyRoute(RelayBranch b, SipMessage resp, ReplyContext rc) {
        int code = resp.statusCode();
        if (code >= 200 && code < 300) {
            forwardUpstream(resp); // every 2xx goes up at once (§16.7 step 5), even after a CANCEL or a timeout
            if (!answered) {
                answered = true;
                if (invite) {
                    laterGroups.clear();
                    for (RelayBranch other : branches) {
                        if (other != b) {
                            other.cancel();
                        }
                    }
                }
            }
            maybeFinish();
            return;
        }
        if (code < 200) {
            if (code > 100 && !finalSent && (rc == null || !rc.isDropped())) {
                forwardUpstream(resp);
            }
            return;
        }
        if (code >= 600 && invite) {
            saw6xx = true; // §16.7 step 10: a 6xx ends the search
            laterGroups.clear();
            for (RelayBranch other : branches) {
                other.cancel();
            }
        }
        maybeFinish();
    }

    // ---------------------------------------------------------------- reply routes that wait

    private record HeldResponse(RelayBranch branch, SipMessage response) { }

    /** Responses behind one whose reply route suspended; null while none waits. */
    private ArrayDeque<HeldResponse> held;

    /** ReplyContext.suspend: the response waits (and every later one behind it) until the work completes. */
    private void hold(RelayBranch b, SipMessage resp, ReplyContext rc, ReplyContext.Suspension<?> waitFor) {
        held = new ArrayDeque<>();
        core.counters().suspendedReplies.increment();
        // a held response must not be lost (the transaction would never finish): no limit on the retries
        waitFor.work().whenComplete((result, failure) -> SuspendedRoutes.continueOnLane(core, callId,
                () -> resume(b, resp, rc, waitFor, result, SuspendedRoutes.unwrap(failure)), Integer.MAX_VALUE,
                () -> { }));
    }

    private void resume(RelayBranch b, SipMessage resp, ReplyContext rc, ReplyContext.Suspension<?> waitFor,
                        Object result, Throwable failure) {
        try {
            waitFor.resume(rc, result, failure);
        } catch (RuntimeException e) {
            core.counters().routeErrors.increment();
            ProxyCore.LOG.error("reply route continuation failed on {} {}", resp.statusCode(), callId, e);
        }
        ArrayDeque<HeldResponse> behind = held;
        held = null;
        afterReplyRoute(b, resp, rc);
        while (!behind.isEmpty()) {
            if (held != null) {
                held.addAll(behind); // another reply route suspended: the rest waits behind it, in order
                return;
            }
            HeldResponse h = behind.poll();
            onBranchResponse(h.branch(), h.response());
        }
        if (held == null) {
            maybeFinish(); // timers that fired while the response waited
        }
    }

    private ReplyContext runReplyRoute(RelayBranch b, SipMessage resp) {
        if (replyRoute == null) {
            return null;
        }
        ReplyContext rc = new ReplyContext(resp.response(), b.index, vars, resp.receivedFrom());
        try {
            replyRoute.handle(rc);
        } catch (RuntimeException e) {
            core.counters().routeErrors.increment();
            ProxyCore.LOG.error("reply route failed on {} {}", resp.statusCode(), callId, e);
        }
        return rc;
    }

    void maybeFinish() {
        if (sending || done || held != null) {
            return;
        }
        if (!allFinal()) {
            return;
        }
        if (answered) {
            complete();
            return;
        }
        while (!canceled && !saw6xx && !laterGroups.isEmpty()) { // serial forking: next q group
            if (sendGroup(laterGroups.poll()) > 0) {
                if (!allFinal()) {
                    return;
                }
            }
        }
        RelayBranch best = pickBest();
        if (failureRoute != null) {
            FailureRoute fr = failureRoute;
            failureRoute = null; // one shot per arming, as t_on_failure
            Response bestResponse = best != null ? best.response.response() : localResponse(lastHopError != null
                    ? lastHopError.status : 500, lastHopError != null ? lastHopError.reason : "Server Internal Error");
            RelayFailureContext fc = new RelayFailureContext(this, (Request) template.clone(), bestResponse,
                    best != null && best.localTimeout);
            Step s;
            try {
                s = fr.handle(fc);
            } catch (RuntimeException e) {
                core.counters().routeErrors.increment();
                ProxyCore.LOG.error("failure route failed on {}", callId, e);
                s = Step.next();
            }
            if (s.isDone() && ((Step.Done) s).outcome() == Step.Outcome.REPLIED) {
                complete();
                return;
            }
            if (s.isDone() && ((Step.Done) s).outcome() == Step.Outcome.RELAYED && !allFinal()) {
                return; // new branches are under way
            }
            if (done) {
                return;
            }
            best = pickBest();
        }
        sendBest(best);
        complete();
    }

    /** §16.7 step 6: 6xx first, else the lowest class; a received answer beats our own 408 in its class. */
    private RelayBranch pickBest() {
        RelayBranch best = null;
        int bestScore = Integer.MAX_VALUE;
        for (RelayBranch b : branches) {
            if (b.response == null) {
                continue;
            }
            int cls = b.response.statusCode() / 100;
            int score = (cls == 6 ? 0 : cls) * 10 + (b.localTimeout ? 1 : 0);
            if (score < bestScore) {
                best = b;
                bestScore = score;
            }
        }
        return best;
    }

    private void sendBest(RelayBranch best) {
        if (finalSent) {
            return;
        }
        if (canceled) {
            // the caller asked to stop: it gets 487, from a branch if one sent it
            for (RelayBranch b : branches) {
                if (b.response != null && b.response.statusCode() == 487 && !b.localTimeout) {
                    forwardUpstream(b.response);
                    return;
                }
            }
            respondLocal(487, "Request Terminated", r -> { });
            return;
        }
        if (best == null) {
            int status = lastHopError != null ? lastHopError.status : 500;
            respondLocal(status, lastHopError != null ? lastHopError.reason : "Server Internal Error", r -> { });
            return;
        }
        if (best.localTimeout) {
            respondLocal(408, "Request Timeout", r -> { });
            return;
        }
        int code = best.response.statusCode();
        if (code == 503) {
            // §16.7 step 6: a 503 means "this proxy's next hop is unavailable", not that the caller should stop
            respondLocal(500, "Server Internal Error", r -> { });
            return;
        }
        if (code == 401 || code == 407) {
            Response up = (Response) best.response.response().clone();
            mergeChallenges(up, best);
            forwardUpstream(SipMessage.of(up));
            return;
        }
        forwardUpstream(best.response);
    }

    /** §16.7 step 7: all WWW-/Proxy-Authenticate values of the 401/407 branches go up together. */
    private void mergeChallenges(Response up, RelayBranch chosen) {
        for (RelayBranch b : branches) {
            if (b == chosen || b.response == null || b.localTimeout) {
                continue;
            }
            int c = b.response.statusCode();
            if (c != 401 && c != 407) {
                continue;
            }
            for (String name : new String[] {WWWAuthenticateHeader.NAME, ProxyAuthenticateHeader.NAME}) {
                for (ListIterator<?> it = b.response.response().getHeaders(name); it.hasNext(); ) {
                    up.addHeader((Header) ((Header) it.next()).clone());
                }
            }
        }
    }

    // ---------------------------------------------------------------- upstream

    /**
     * §16.7 step 3 and 8: the response without our Via goes up on the server transaction. A response nothing parsed
     * (no reply route read it) is cut from the received bytes; otherwise the JAIN-SIP copy is edited.
     */
    private void forwardUpstream(SipMessage resp) {
        SipMessage up = resp.withoutTopVia();
        if (up == null) {
            Response r = (Response) resp.response().clone();
            r.removeFirst(ViaHeader.NAME);
            up = SipMessage.of(r);
        }
        int code = resp.statusCode();
        try {
            server.respond(up);
        } catch (IllegalStateException e) {
            if (code >= 200 && code < 300) {
                core.sendResponse(source, up.response()); // a 2xx after the server transaction ended still goes up
            } else {
                ProxyCore.LOG.debug("not forwarding {}: {}", code, e.getMessage());
                return;
            }
        }
        if (code >= 200) {
            sentFinal(code);
        }
    }

    void respondLocal(int status, String reason, Consumer<Response> customizer) {
        if (finalSent && status >= 200) {
            throw new IllegalStateException("a final response was already sent upstream for " + callId);
        }
        Response r = localResponse(status, reason);
        customizer.accept(r);
        try {
            server.respond(SipMessage.of(r));
        } catch (IllegalStateException e) {
            ProxyCore.LOG.debug("could not send {} upstream: {}", status, e.getMessage());
        }
        if (status >= 200) {
            sentFinal(status);
        }
    }

    private void sentFinal(int status) {
        if (!finalSent) {
            finalSent = true;
            List<java.util.function.IntConsumer> l = finalListeners;
            finalListeners = null;
            notifyFinal(l, status);
        }
    }

    private static void notifyFinal(List<java.util.function.IntConsumer> listeners, int status) {
        if (listeners != null) {
            for (java.util.function.IntConsumer l : listeners) {
                try {
                    l.accept(status);
                } catch (RuntimeException e) {
                    ProxyCore.LOG.error("an onFinalResponse listener failed on {}", status, e);
                }
            }
        }
    }

    Response localResponse(int status, String reason) {
        try {
            Response r = core.codec().messageFactory().createResponse(status, incoming.request());
            r.setReasonPhrase(reason);
            ToHeader to = (ToHeader) r.getHeader(ToHeader.NAME);
            if (status > 100 && to.getTag() == null) {
                to.setTag(localTag);
            }
            return r;
        } catch (ParseException e) {
            throw new IllegalStateException("cannot build a local " + status, e);
        }
    }

    private boolean allFinal() {
        for (RelayBranch b : branches) {
            if (!b.isFinal) {
                return false;
            }
        }
        return true;
    }

    private void complete() {
        if (done) {
            return;
        }
        done = true;
        for (RelayBranch b : branches) {
            b.disarm();
            // the client transaction keeps this relay reachable until Timer M/D/K (2xx retransmissions still go up)
            b.request = null;
            b.response = null;
        }
        core.unregister(server, this);
        incoming = null;
        template = null;
        laterGroups.clear();
        failureRoute = null;
        branchRoute = null;
    }

    boolean isDone() {
        return done;
    }

    // ---------------------------------------------------------------- failure route

    /** relay() inside a failure route: new branches in this transaction. */
    void relayFromFailureRoute(RelayFailureContext fc) {
        adoptSettings(fc);
        if (!start(fc)) {
            ProxyCore.LOG.debug("failure route relay sent nothing for {}", callId);
        }
    }
}
