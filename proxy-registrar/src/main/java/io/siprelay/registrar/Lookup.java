package io.siprelay.registrar;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.route.BranchRoute;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Target;
import io.siprelay.registrar.store.Binding;
import io.siprelay.registrar.store.LocationStore;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sip.address.AddressFactory;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;

/** {@link Registrar#lookup(RequestContext, String)}: the target set from the bindings, Path hops as Route headers. */
final class Lookup {

    /** q descending, then most recently modified first (Kamailio's order). */
    static final Comparator<Binding> LOOKUP_ORDER = Comparator.comparingDouble((Binding b) -> -b.q())
            .thenComparing(Comparator.comparingLong(Binding::lastModified).reversed());

    private final SipClock clock;
    private final LocationStore store;
    private final Aors aors;
    private final HeaderFactory headers;
    private final AddressFactory addresses;

    Lookup(SipClock clock, LocationStore store, Aors aors, HeaderFactory headers, AddressFactory addresses) {
        this.clock = clock;
        this.store = store;
        this.aors = aors;
        this.headers = headers;
        this.addresses = addresses;
    }

    LookupResult lookup(RequestContext ctx, String aor) {
        long now = clock.wallMillis();
        List<Binding> all = store.get(aors.normalizeAor(aor), now);
        if (all.isEmpty()) {
            return LookupResult.NOT_FOUND;
        }
        List<Binding> usable = new ArrayList<>(all.size());
        for (Binding b : all) {
            if (accepts(b, ctx.method())) {
                usable.add(b);
            }
        }
        if (usable.isEmpty()) {
            return LookupResult.METHOD_NOT_ALLOWED;
        }
        usable.sort(LOOKUP_ORDER);
        Binding first = usable.get(0);
        float topQ = first.q();
        ctx.setRequestUri(first.contact());
        ctx.setDestination(destinationOf(first));
        Map<String, List<String>> routes = null;
        for (Binding b : usable) {
            if (b.path() != null) {
                if (routes == null) {
                    routes = new HashMap<>();
                }
                routes.put(canonical(b.contact()), PathHeaders.splitPath(b.path()));
            }
        }
        for (int i = 1; i < usable.size(); i++) {
            Binding b = usable.get(i);
            // the Request-URI's branch always has q 1.0 in the core: lift its equals so they fork in parallel with it
            float q = b.q() == topQ ? 1.0f : b.q();
            ctx.appendBranch(new Target(b.contact(), destinationOf(b), q));
        }
        if (routes != null) {
            Map<String, List<String>> byUri = routes;
            BranchRoute previous = ctx.branchRoute();
            ctx.onBranch(bc -> {
                List<String> path = byUri.get(canonical(bc.requestUri()));
                if (path != null) {
                    pushRoutes(bc.request(), path);
                }
                if (previous != null) {
                    previous.handle(bc);
                }
            });
        }
        return LookupResult.FOUND;
    }

    /** True when the contact accepts {@code method} (no Allow stored means every method). */
    private static boolean accepts(Binding b, String method) {
        return b.methods() == null || Methods.allows(b.methods(), method);
    }

    private static String destinationOf(Binding b) {
        String hop = PathHeaders.firstHop(b.path());
        if (hop != null) {
            return PathHeaders.stripBrackets(hop);
        }
        return b.received();
    }

    private String canonical(String uri) {
        try {
            return addresses.createURI(uri).toString();
        } catch (ParseException e) {
            return uri;
        }
    }

    private void pushRoutes(Request request, List<String> path) {
        try {
            for (int i = path.size() - 1; i >= 0; i--) {
                request.addFirst(headers.createHeader("Route", path.get(i)));
            }
        } catch (ParseException | javax.sip.SipException e) {
            throw new IllegalStateException("stored Path is not a valid Route: " + path, e);
        }
    }
}
