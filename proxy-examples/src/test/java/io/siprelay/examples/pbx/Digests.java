package io.siprelay.examples.pbx;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test-side digest answers (RFC 7616 / 2617), independent of proxy-auth's code: parse a challenge, compute a reply. */
final class Digests {

    private static final Pattern PARAM = Pattern.compile("([A-Za-z-]+)\\s*=\\s*(\"([^\"]*)\"|[^,\\s]+)");

    private Digests() {
    }

    /** The parameters of one challenge header value ({@code Digest realm="...", nonce="..."}). */
    static Map<String, String> params(String headerValue) {
        String v = headerValue.trim();
        if (v.regionMatches(true, 0, "Digest", 0, 6)) {
            v = v.substring(6);
        }
        Map<String, String> m = new LinkedHashMap<>();
        Matcher x = PARAM.matcher(v);
        while (x.find()) {
            m.put(x.group(1).toLowerCase(Locale.ROOT), x.group(3) != null ? x.group(3) : x.group(2));
        }
        return m;
    }

    /** Picks the MD5 challenge among several header values (every client knows MD5), else the first. */
    static Map<String, String> pick(List<String> challenges) {
        for (String c : challenges) {
            Map<String, String> p = params(c);
            if (p.getOrDefault("algorithm", "MD5").equalsIgnoreCase("MD5")) {
                return p;
            }
        }
        return params(challenges.get(0));
    }

    /** The Authorization / Proxy-Authorization value answering {@code ch}. */
    static String answer(Map<String, String> ch, String user, String password, String method, String uri) {
        String alg = ch.getOrDefault("algorithm", "MD5");
        String jca = alg.equalsIgnoreCase("SHA-256") ? "SHA-256" : "MD5";
        String realm = ch.get("realm");
        String nonce = ch.get("nonce");
        String ha1 = h(jca, user + ":" + realm + ":" + password);
        String ha2 = h(jca, method + ":" + uri);
        StringBuilder b = new StringBuilder("Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\""
                + nonce + "\", uri=\"" + uri + "\", algorithm=" + alg);
        String qop = ch.get("qop");
        String response;
        if (qop != null && List.of(qop.split(",")).contains("auth")) {
            String nc = "00000001";
            String cnonce = "c0ffee" + Long.toHexString(System.nanoTime());
            response = h(jca, ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
            b.append(", qop=auth, nc=").append(nc).append(", cnonce=\"").append(cnonce).append('"');
        } else {
            response = h(jca, ha1 + ":" + nonce + ":" + ha2);
        }
        b.append(", response=\"").append(response).append('"');
        if (ch.containsKey("opaque")) {
            b.append(", opaque=\"").append(ch.get("opaque")).append('"');
        }
        return b.toString();
    }

    private static String h(String jca, String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(jca).digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
