package io.siprelay.auth.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.ListIterator;
import java.util.Locale;
import java.util.Map;
import javax.sip.header.Header;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * A test-side UAC that answers digest challenges, written from RFC 2617/7616 independently of the production code
 * (its own parameter parser and hashing), so a bug in {@code Digest} cannot hide itself.
 */
public final class DigestClient {

    private final String username;
    private final String password;
    private final String preferredAlgorithm;
    private final HeaderFactory headers;
    private final SecureRandom random = new SecureRandom();
    private int nc;
    private String lastNonce;

    /** @param preferredAlgorithm "SHA-256" or "MD5": chosen when the challenge offers it, else the first offered */
    public DigestClient(String username, String password, String preferredAlgorithm, HeaderFactory headers) {
        this.username = username;
        this.password = password;
        this.preferredAlgorithm = preferredAlgorithm;
        this.headers = headers;
    }

    /** The challenge parameters the client picked from a 401/407. */
    public Map<String, String> pick(Response challenge) {
        String name = challenge.getStatusCode() == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
        Map<String, String> first = null;
        for (ListIterator<?> it = challenge.getHeaders(name); it.hasNext(); ) {
            String s = it.next().toString();
            Map<String, String> p = params(s.substring(s.indexOf(':') + 1).trim().substring(7));
            String alg = p.getOrDefault("algorithm", "MD5");
            if (first == null) {
                first = p;
            }
            if (alg.equalsIgnoreCase(preferredAlgorithm)) {
                return p;
            }
        }
        if (first == null) {
            throw new AssertionError("no " + name + " in " + challenge);
        }
        return first;
    }

    /** Adds credentials answering {@code challenge} to {@code request} (qop=auth when offered). */
    public Request authorize(Request request, Response challenge) {
        Map<String, String> p = pick(challenge);
        String headerName = challenge.getStatusCode() == 407 ? "Proxy-Authorization" : "Authorization";
        String value = credentials(request.getMethod(), request.getRequestURI().toString(), p, null);
        try {
            Header h = headers.createHeader(headerName, value);
            request.removeHeader(headerName);
            request.addHeader(h);
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
        return request;
    }

    /** The credentials header value for a challenge (its parameters); {@code forceNc} overrides the nonce-count. */
    public String credentials(String method, String uri, Map<String, String> challenge, Integer forceNc) {
        String realm = challenge.get("realm");
        String nonce = challenge.get("nonce");
        String alg = challenge.getOrDefault("algorithm", "MD5");
        String qopOptions = challenge.get("qop");
        boolean qop = qopOptions != null && java.util.Arrays.asList(qopOptions.split(",")).contains("auth");
        String jca = alg.equalsIgnoreCase("SHA-256") ? "SHA-256" : "MD5";
        String ha1 = h(jca, username + ":" + realm + ":" + password);
        String ha2 = h(jca, method + ":" + uri);
        StringBuilder b = new StringBuilder("Digest username=\"").append(username).append("\", realm=\"")
                .append(realm).append("\", nonce=\"").append(nonce).append("\", uri=\"").append(uri)
                .append("\", algorithm=").append(alg);
        String response;
        if (qop) {
            if (!nonce.equals(lastNonce)) {
                lastNonce = nonce;
                nc = 0;
            }
            nc++;
            String ncs = String.format(Locale.ROOT, "%08x", forceNc != null ? forceNc : nc);
            byte[] cn = new byte[8];
            random.nextBytes(cn);
            String cnonce = HexFormat.of().formatHex(cn);
            response = h(jca, ha1 + ":" + nonce + ":" + ncs + ":" + cnonce + ":auth:" + ha2);
            b.append(", qop=auth, nc=").append(ncs).append(", cnonce=\"").append(cnonce).append('"');
        } else {
            response = h(jca, ha1 + ":" + nonce + ":" + ha2);
        }
        b.append(", response=\"").append(response).append('"');
        if (challenge.containsKey("opaque")) {
            b.append(", opaque=\"").append(challenge.get("opaque")).append('"');
        }
        return b.toString();
    }

    public static String h(String jca, String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(jca).digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Minimal challenge parameter parser: name=value or name="value", comma separated. */
    public static Map<String, String> params(String s) {
        Map<String, String> m = new LinkedHashMap<>();
        int i = 0;
        while (i < s.length()) {
            while (i < s.length() && (s.charAt(i) == ',' || s.charAt(i) == ' ')) {
                i++;
            }
            int eq = s.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String name = s.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            i = eq + 1;
            String v;
            if (i < s.length() && s.charAt(i) == '"') {
                int end = s.indexOf('"', i + 1);
                v = s.substring(i + 1, end);
                i = end + 1;
            } else {
                int end = s.indexOf(',', i);
                end = end < 0 ? s.length() : end;
                v = s.substring(i, end).trim();
                i = end;
            }
            m.put(name, v);
        }
        return m;
    }
}
