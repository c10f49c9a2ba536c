package io.siprelay.core.proxy.internal;

import io.siprelay.core.route.FailureContext;
import io.siprelay.core.route.RouteInternals;
import java.util.function.Consumer;
import javax.sip.message.Request;
import javax.sip.message.Response;

/** The context of a failure route of one {@link ProxyTransaction}: replies and relays go into that transaction. */
final class RelayFailureContext extends FailureContext {

    private final ProxyTransaction pt;

    RelayFailureContext(ProxyTransaction pt, Request request, Response best, boolean localTimeout) {
        super(request, pt.source, best, pt.canceled, localTimeout);
        this.pt = pt;
        RouteInternals.adoptVars(this, pt.vars);
    }

    @Override
    protected void doReply(int status, String reason, Consumer<Response> customizer) {
        pt.respondLocal(status, reason, customizer);
    }

    @Override
    protected void doForward() {
        throw new IllegalStateException("forward() is stateless and cannot run in a failure route: use relay()");
    }

    @Override
    protected void doRelay() {
        pt.relayFromFailureRoute(this);
    }

    @Override
    protected boolean doLooseRoute() {
        return pt.core.forwarding().looseRoute(request());
    }

    @Override
    public javax.sip.header.HeaderFactory headerFactory() {
        return pt.core.codec().headerFactory();
    }

    @Override
    public javax.sip.address.AddressFactory addressFactory() {
        return pt.core.codec().addressFactory();
    }
}
