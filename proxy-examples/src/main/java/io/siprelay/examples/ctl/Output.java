package io.siprelay.examples.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Human-readable output (aligned tables, {@code key: value} lines) or pretty JSON with {@code --json}. */
final class Output {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final PrintWriter out;
    private final boolean json;

    Output(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    void line(String s) {
        out.println(s);
        out.flush();
    }

    /** Writes {@code value} (a JsonNode, record, map or list) as pretty JSON. */
    void printJson(Object value) {
        try {
            out.println(MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
        out.flush();
    }

    /** An aligned table: columns separated by two spaces, the last one not padded. */
    void table(List<String> headers, List<List<String>> rows) {
        int[] w = new int[headers.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = headers.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], cell(r, i).length());
            }
        }
        out.println(row(headers, w));
        for (List<String> r : rows) {
            out.println(row(r, w));
        }
        out.flush();
    }

    private static String cell(List<String> r, int i) {
        String s = i < r.size() ? r.get(i) : "";
        return s == null ? "" : s;
    }

    private static String row(List<String> cells, int[] w) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            String c = cell(cells, i);
            sb.append(c);
            if (i < w.length - 1) {
                sb.append(" ".repeat(w[i] - c.length() + 2));
            }
        }
        return sb.toString().stripTrailing();
    }

    /** {@code key: value} lines with the values aligned. */
    void keyValues(Map<String, String> kv) {
        int w = kv.keySet().stream().mapToInt(String::length).max().orElse(0);
        kv.forEach((k, v) -> out.println(k + ":" + " ".repeat(w - k.length() + 1) + v));
        out.flush();
    }

    /**
     * Prints any JSON-RPC result readably: a scalar as text, an object as flattened {@code key: value} lines, an
     * array of flat objects as a table, an array of scalars one per line; anything else as pretty JSON.
     */
    void printGeneric(JsonNode n) {
        if (json) {
            printJson(n);
        } else if (n == null || n.isNull() || n.isMissingNode()) {
            line("OK");
        } else if (n.isValueNode()) {
            line(n.asText());
        } else if (n.isObject()) {
            Map<String, String> kv = new LinkedHashMap<>();
            flatten("", n, kv);
            if (kv.isEmpty()) {
                line("OK");
            } else {
                keyValues(kv);
            }
        } else if (allScalars(n)) {
            n.forEach(e -> out.println(e.asText()));
            out.flush();
        } else if (allFlatObjects(n)) {
            Set<String> keys = new LinkedHashSet<>();
            n.forEach(e -> e.fieldNames().forEachRemaining(keys::add));
            List<String> headers = new ArrayList<>();
            keys.forEach(k -> headers.add(k.toUpperCase(Locale.ROOT)));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode e : n) {
                List<String> r = new ArrayList<>();
                keys.forEach(k -> r.add(e.has(k) ? text(e.get(k)) : ""));
                rows.add(r);
            }
            table(headers, rows);
        } else {
            printJson(n);
        }
    }

    private static void flatten(String prefix, JsonNode n, Map<String, String> kv) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), kv);
            }
        } else if (n.isArray() && !allScalars(n)) {
            int i = 0;
            for (JsonNode e : n) {
                flatten(prefix + "[" + i++ + "]", e, kv);
            }
        } else {
            kv.put(prefix, text(n));
        }
    }

    static String text(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "";
        }
        if (n.isArray()) {
            List<String> parts = new ArrayList<>();
            n.forEach(e -> parts.add(text(e)));
            return String.join(",", parts);
        }
        return n.isValueNode() ? n.asText() : n.toString();
    }

    private static boolean allScalars(JsonNode n) {
        for (JsonNode e : n) {
            if (!e.isValueNode()) {
                return false;
            }
        }
        return true;
    }

    private static boolean allFlatObjects(JsonNode n) {
        for (JsonNode e : n) {
            if (!e.isObject()) {
                return false;
            }
            for (JsonNode v : e) {
                if (v.isObject()) {
                    return false;
                }
            }
        }
        return true;
    }
}
