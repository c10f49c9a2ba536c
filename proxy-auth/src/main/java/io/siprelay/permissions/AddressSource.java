package io.siprelay.permissions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Where {@link Permissions} loads its address entries from, on start and on every reload: the {@code address} table
 * ({@link JdbcAddressStore}), a file ({@link #file}) or a fixed list ({@link #of}). A source throws when it cannot
 * deliver a complete, valid list; {@link Permissions#reload()} then keeps the data it had.
 */
@FunctionalInterface
public interface AddressSource {

    /** Every entry, in order (the order decides between entries of the same network). */
    List<AddressEntry> load() throws Exception;

    /** A fixed list. */
    static AddressSource of(Collection<AddressEntry> entries) {
        List<AddressEntry> copy = List.copyOf(entries);
        return () -> copy;
    }

    /**
     * Kamailio's {@code address_file}: one entry a line, {@code grp addr [mask [port [tag]]]}, fields separated by
     * white space, {@code addr} may be {@code a.b.c.d/len} (then a mask field of 0 keeps that length); blank lines and lines starting with {@code #} are skipped;
     * the tag is the rest of the line. The file is read again on each reload; any bad line fails the whole load
     * with its line number.
     */
    static AddressSource file(Path path) {
        return () -> parse(Files.readAllLines(path, StandardCharsets.UTF_8), path.toString());
    }

    /** Parses address-file lines (see {@link #file}). */
    static List<AddressEntry> parse(List<String> lines, String origin) throws IOException {
        List<AddressEntry> out = new ArrayList<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+", 5);
            try {
                if (f.length < 2) {
                    throw new IllegalArgumentException("need at least 'group address'");
                }
                int group = Integer.parseInt(f[0]);
                String addr = f[1];
                int mask = 0;
                int slash = addr.indexOf('/');
                if (slash >= 0) {
                    mask = Integer.parseInt(addr.substring(slash + 1));
                    addr = addr.substring(0, slash);
                }
                if (f.length > 2) {
                    int m = Integer.parseInt(f[2]);
                    if (slash < 0 || m != 0) {
                        mask = m; // with addr/len a mask field of 0 means "as given"
                    }
                }
                int port = f.length > 3 ? Integer.parseInt(f[3]) : 0;
                String tag = f.length > 4 ? f[4] : null;
                out.add(new AddressEntry(group, addr, mask, port, tag));
            } catch (IllegalArgumentException e) {
                throw new IOException(origin + ":" + n + ": " + e.getMessage() + " in '" + line + "'", e);
            }
        }
        return out;
    }
}
