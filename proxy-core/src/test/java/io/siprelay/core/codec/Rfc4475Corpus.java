package io.siprelay.core.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the RFC 4475 corpus from the test classpath ({@code rfc4475/}). Bytes are never altered. */
public final class Rfc4475Corpus {

    public record Row(String file, String section, String title, String expected, String note) {}

    private Rfc4475Corpus() {}

    public static List<Row> manifest() {
        String text = new String(bytes("MANIFEST.tsv"), StandardCharsets.UTF_8);
        List<Row> rows = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] c = line.split("\t", -1);
            rows.add(new Row(c[0], c[1], c[2], c[3], c.length > 4 ? c[4] : ""));
        }
        return rows;
    }

    public static byte[] bytes(String name) {
        try (InputStream in = Rfc4475Corpus.class.getResourceAsStream("/rfc4475/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource rfc4475/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every message of the manifest, in manifest order. */
    public static List<byte[]> allMessages() {
        List<byte[]> out = new ArrayList<>();
        for (Row r : manifest()) {
            out.add(bytes(r.file()));
        }
        return out;
    }
}
