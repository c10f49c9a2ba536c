package io.siprelay.dispatcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Kamailio's {@code dispatcher.list}: one destination per line, {@code setid uri [flags [priority [attrs]]]},
 * fields separated by blanks, {@code #} starts a comment. Read again on every reload.
 */
public final class ListFileSource implements DispatcherSource {

    private final Path file;

    public ListFileSource(Path file) {
        this.file = file;
    }

    @Override
    public List<DispatcherEntry> load() throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses list-file text; {@code name} appears in errors.
     *
     * @throws IllegalArgumentException naming the line when a line is malformed
     */
    public static List<DispatcherEntry> parse(String text, String name) {
        List<DispatcherEntry> out = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+", 5);
            String where = name + ":" + (i + 1);
            if (f.length < 2) {
                throw new IllegalArgumentException(where + ": need 'setid uri [flags [priority [attrs]]]', got '"
                        + line + "'");
            }
            try {
                int set = Integer.parseInt(f[0]);
                int flags = f.length > 2 ? Integer.parseInt(f[2]) : 0;
                int prio = f.length > 3 ? Integer.parseInt(f[3]) : 0;
                String attrs = f.length > 4 ? f[4] : "";
                out.add(new DispatcherEntry(0, set, f[1], flags, prio, Attrs.parse(attrs), where));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return out;
    }
}
