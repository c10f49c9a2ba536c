package io.siprelay.auth;

import java.util.Objects;

/**
 * One row of Kamailio's {@code subscriber} table: a user of a domain with a plaintext password and/or precomputed
 * HA1 values. {@code ha1} is {@code MD5(username:domain:password)}, {@code ha1b} is {@code
 * MD5(username@domain:domain:password)} (for clients that send {@code user@domain} as username) and {@code ha1Sha256}
 * (column {@code ha1_sha256}, SipRelay's addition) is {@code SHA-256(username:domain:password)}. Any of them may be
 * null.
 */
public record Subscriber(String username, String domain, String password, String ha1, String ha1b, String ha1Sha256) {

    public Subscriber {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(domain, "domain");
    }

    /** A subscriber with a plaintext password and all three HA1 columns filled in. */
    public static Subscriber withPassword(String username, String domain, String password) {
        Objects.requireNonNull(password, "password");
        return new Subscriber(username, domain, password,
                Digest.ha1(DigestAlgorithm.MD5, username, domain, password),
                Digest.ha1(DigestAlgorithm.MD5, username + "@" + domain, domain, password),
                Digest.ha1(DigestAlgorithm.SHA_256, username, domain, password));
    }

    /** A subscriber stored only as HA1 values (no plaintext password), like Kamailio's {@code calculate_ha1 0}. */
    public static Subscriber withHa1(String username, String domain, String ha1Md5, String ha1Sha256) {
        return new Subscriber(username, domain, null, ha1Md5, null, ha1Sha256);
    }

    /**
     * The HA1 to verify a response for {@code authUsername} in {@code realm} with {@code alg}: computed from the
     * password when there is one, else the stored column that fits (only valid when realm equals the domain); null
     * when this subscriber cannot answer with that algorithm.
     */
    public String ha1For(DigestAlgorithm alg, String authUsername, String realm) {
        if (password != null) {
            return Digest.ha1(alg, authUsername, realm, password);
        }
        if (!domain.equals(realm)) {
            return null;
        }
        if (alg == DigestAlgorithm.SHA_256) {
            return authUsername.equals(username) ? ha1Sha256 : null;
        }
        return authUsername.equals(username) ? ha1 : ha1b;
    }

    @Override
    public String toString() {
        return "Subscriber[" + username + "@" + domain + "]";
    }
}
