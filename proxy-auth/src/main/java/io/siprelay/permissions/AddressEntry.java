package io.siprelay.permissions;

import java.util.Objects;

/**
 * One row of Kamailio's {@code address} table: a group, an IPv4 or IPv6 address, a prefix length ({@code mask}), a
 * port (0 = any) and an optional tag handed to the route when the entry matches.
 *
 * <p>{@code mask} follows Kamailio: 0 means the full length (32 for IPv4, 128 for IPv6), i.e. a single host; give
 * 8, 16, 24 … for subnets. Host bits beyond the mask are ignored. Only IP literals are accepted (no host names, so
 * no DNS on load or lookup).
 *
 * @param group  the address group ({@code grp}), 0 or more; Kamailio's default is 1
 * @param ip     an IPv4 or IPv6 literal ({@code ip_addr}), brackets allowed around IPv6
 * @param mask   the prefix length, 0 = full length
 * @param port   0 = any port, else 1..65535
 * @param tag    free text for the route, or null
 */
public record AddressEntry(int group, String ip, int mask, int port, String tag) {

    public AddressEntry {
        Objects.requireNonNull(ip, "ip");
        if (group < 0) {
            throw new IllegalArgumentException("group must be 0 or more, got " + group);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port + " for " + ip);
        }
        byte[] a = IpAddresses.parse(ip);
        if (a == null) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address: '" + ip + "'");
        }
        int max = a.length * 8;
        if (mask < 0 || mask > max) {
            throw new IllegalArgumentException("mask must be 0.." + max + " for " + ip + ", got " + mask);
        }
    }

    /** A host entry of group {@code group}, any port, no tag. */
    public static AddressEntry host(int group, String ip) {
        return new AddressEntry(group, ip, 0, 0, null);
    }

    /** A subnet entry {@code a.b.c.d/len} (or an IPv6 prefix), any port, no tag. */
    public static AddressEntry subnet(int group, String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            return host(group, cidr);
        }
        return new AddressEntry(group, cidr.substring(0, slash), Integer.parseInt(cidr.substring(slash + 1)), 0,
                null);
    }

    /** The effective prefix length (mask 0 → full length). */
    public int prefixLength() {
        int max = IpAddresses.parse(ip).length * 8;
        return mask == 0 ? max : mask;
    }
}
