package io.siprelay.registrar;

import io.siprelay.core.route.RequestContext;
import java.util.ArrayList;
import java.util.List;

/** Path header helpers (RFC 3327): joining, splitting, the first hop's URI and the {@code Supported: path} check. */
final class PathHeaders {

    private PathHeaders() {
    }

    /** Path values of a request in order, joined by commas (Kamailio's {@code path} column), or null. */
    static String joinPath(List<String> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<String> hops = new ArrayList<>();
        for (String v : values) {
            hops.addAll(splitPath(v));
        }
        return String.join(",", hops);
    }

    /** Splits a Path value ({@code <sip:a;lr>,<sip:b;lr>}) into its hops, respecting brackets and quotes. */
    static List<String> splitPath(String path) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < path.length(); i++) {
            char ch = path.charAt(i);
            if (ch == '"' && (i == 0 || path.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (!quoted && ch == '<') {
                depth++;
            } else if (!quoted && ch == '>') {
                depth--;
            } else if (!quoted && depth == 0 && ch == ',') {
                String hop = path.substring(start, i).trim();
                if (!hop.isEmpty()) {
                    out.add(hop);
                }
                start = i + 1;
            }
        }
        String hop = path.substring(start).trim();
        if (!hop.isEmpty()) {
            out.add(hop);
        }
        return out;
    }

    /** The first hop of a Path value, or null for none. */
    static String firstHop(String path) {
        return path == null ? null : splitPath(path).get(0);
    }

    static String stripBrackets(String hop) {
        int lt = hop.indexOf('<');
        int gt = hop.indexOf('>', lt + 1);
        return lt >= 0 && gt > lt ? hop.substring(lt + 1, gt) : hop;
    }

    static boolean supportsPath(RequestContext ctx) {
        for (String v : ctx.headers("Supported")) {
            for (String tag : v.split(",")) {
                if (tag.trim().equalsIgnoreCase("path")) {
                    return true;
                }
            }
        }
        return false;
    }
}
