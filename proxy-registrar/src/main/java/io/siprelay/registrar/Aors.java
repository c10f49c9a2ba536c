package io.siprelay.registrar;

import io.siprelay.core.route.RequestContext;
import java.text.ParseException;
import java.util.Locale;
import javax.sip.address.AddressFactory;
import javax.sip.address.SipURI;
import javax.sip.address.URI;

/** The address-of-record: taken from a To or Request-URI, and normalised into the store key. */
final class Aors {

    private final boolean useDomain;
    private final AddressFactory addresses;

    Aors(boolean useDomain, AddressFactory addresses) {
        this.useDomain = useDomain;
        this.addresses = addresses;
    }

    String aorOf(URI uri) {
        if (!(uri instanceof SipURI su) || su.getUser() == null || su.getUser().isEmpty()) {
            throw new Reject(400, "Bad Request", "No user in the address-of-record");
        }
        String user = su.getUser().toLowerCase(Locale.ROOT);
        if (user.length() > 64) {
            throw new Reject(400, "Bad Request", "Address-of-record too long");
        }
        if (!useDomain) {
            return user;
        }
        String host = su.getHost().toLowerCase(Locale.ROOT);
        if (host.length() > 64) {
            throw new Reject(400, "Bad Request", "Address-of-record too long");
        }
        return user + "@" + host;
    }

    /** See {@link Registrar#normalizeAor(String)}. */
    String normalizeAor(String aor) {
        String s = aor.trim();
        int colon = s.indexOf(':');
        if (s.regionMatches(true, 0, "sip:", 0, 4) || s.regionMatches(true, 0, "sips:", 0, 5)) {
            s = s.substring(colon + 1);
        }
        int semi = s.indexOf(';');
        if (semi >= 0) {
            s = s.substring(0, semi);
        }
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            String host = s.substring(at + 1);
            int port = host.lastIndexOf(':');
            if (port > 0 && !host.endsWith("]")) {
                host = host.substring(0, port);
            }
            s = useDomain ? s.substring(0, at) + "@" + host : s.substring(0, at);
        }
        return s.toLowerCase(Locale.ROOT);
    }

    URI toUri(RequestContext ctx) {
        String to = ctx.toUri();
        if (to == null) {
            throw new Reject(400, "Bad Request", "No To header");
        }
        try {
            return addresses.createURI(to);
        } catch (ParseException e) {
            throw new Reject(400, "Bad Request", "Invalid To URI");
        }
    }
}
