package io.siprelay.auth.db;

import io.siprelay.permissions.AddressEntry;
import io.siprelay.permissions.AddressSource;
import java.util.List;

/**
 * Kamailio's {@code address} table (grp, ip_addr, mask, port, tag) as an {@link AddressSource} for
 * {@link io.siprelay.permissions.Permissions}, plus the add/remove operations of {@code kamctl address}. Changes
 * reach a running {@code Permissions} on its next {@code reload()}, as with Kamailio's {@code addressReload}.
 *
 * <p>Kamailio's column default for {@code mask} is 32: for an IPv6 host give 128 (or 0, which SipRelay reads as the
 * full length).
 */
public final class JdbcAddressStore implements AddressSource {

    private final AuthDatabase db;
    private final String table;

    public JdbcAddressStore(AuthDatabase db) {
        this.db = db;
        this.table = db.addressTable();
    }

    @Override
    public List<AddressEntry> load() {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT grp, ip_addr, mask, port, tag FROM " + table
                        + " ORDER BY id")
                .map((rs, ctx) -> new AddressEntry(rs.getInt("grp"), rs.getString("ip_addr"), rs.getInt("mask"),
                        rs.getInt("port"), rs.getString("tag")))
                .list());
    }

    /** Inserts an entry (validated first). */
    public void add(AddressEntry e) {
        db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO " + table
                        + " (grp, ip_addr, mask, port, tag) VALUES (:g, :ip, :m, :p, :t)")
                .bind("g", e.group()).bind("ip", e.ip()).bind("m", e.mask()).bind("p", e.port())
                .bind("t", e.tag()).execute());
    }

    /** Deletes the rows equal to {@code e} in group, address, mask and port; returns how many. */
    public int remove(AddressEntry e) {
        return db.jdbi().withHandle(h -> h.createUpdate("DELETE FROM " + table
                        + " WHERE grp = :g AND ip_addr = :ip AND mask = :m AND port = :p")
                .bind("g", e.group()).bind("ip", e.ip()).bind("m", e.mask()).bind("p", e.port()).execute());
    }

    /** Deletes every entry of a group; returns how many. */
    public int removeGroup(int group) {
        return db.jdbi().withHandle(h -> h.createUpdate("DELETE FROM " + table + " WHERE grp = :g")
                .bind("g", group).execute());
    }
}
