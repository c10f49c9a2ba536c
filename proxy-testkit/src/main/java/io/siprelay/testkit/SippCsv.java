package io.siprelay.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Reading SIPp's {@code -trace_stat} and {@code -trace_counts} CSVs: their last row and the counters in it. */
final class SippCsv {

    private SippCsv() {
    }

    /** The last row of the {@code -trace_counts} CSV ({@code <scenario>_<pid>_counts.csv} in {@code dir}). */
    static Map<String, String> lastCountsLine(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            Optional<Path> csv = files.filter(f -> f.getFileName().toString().endsWith("_counts.csv")).findFirst();
            return csv.isPresent() ? lastStatLine(csv.get()) : new LinkedHashMap<>();
        }
    }

    /** Header name to value of the last row of a SIPp CSV (empty when the file is missing). */
    static Map<String, String> lastStatLine(Path csv) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        if (!Files.exists(csv)) {
            return m;
        }
        List<String> lines = new ArrayList<>();
        for (String l : Files.readAllLines(csv, StandardCharsets.ISO_8859_1)) {
            if (!l.isBlank()) {
                lines.add(l);
            }
        }
        if (lines.size() < 2) {
            return m;
        }
        String[] names = lines.get(0).split(";", -1);
        String[] values = lines.get(lines.size() - 1).split(";", -1);
        for (int i = 0; i < names.length && i < values.length; i++) {
            if (!names[i].isEmpty()) {
                m.put(names[i].trim(), values[i].trim());
            }
        }
        return m;
    }

    /** A cumulative counter ({@code name(C)}, else the bare {@code name} column) of a stat row; -1 if absent. */
    static long counter(Map<String, String> stats, String name) {
        String v = stats.getOrDefault(name + "(C)", stats.get(name));
        if (v == null || v.isEmpty()) {
            return -1;
        }
        return Long.parseLong(v);
    }

    /** The first column of a counts row whose name ends with {@code suffix}; -1 if absent. */
    static long count(Map<String, String> counts, String suffix) {
        for (Map.Entry<String, String> e : counts.entrySet()) {
            if (e.getKey().endsWith(suffix) && !e.getValue().isEmpty()) {
                return Long.parseLong(e.getValue());
            }
        }
        return -1;
    }

    /** The non-zero cumulative {@code Failed*} counters of a stat row but {@code FailedCall}, without "(C)". */
    static Map<String, Long> failureKinds(Map<String, String> stats) {
        Map<String, Long> kinds = new java.util.TreeMap<>();
        stats.forEach((k, v) -> {
            if (k.startsWith("Failed") && k.endsWith("(C)") && !k.equals("FailedCall(C)") && !v.isEmpty()
                    && !"0".equals(v)) {
                kinds.put(k.substring(0, k.length() - 3), Long.parseLong(v));
            }
        });
        return kinds;
    }
}
