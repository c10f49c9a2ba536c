package io.siprelay.core.route;

import java.util.Objects;

/**
 * One target of a relay: the Request-URI of its branch, an optional destination ({@code $du}: where the branch is
 * sent when that is not the Request-URI's host) and a q-value (higher first; equal values are forked in parallel).
 */
public record Target(String uri, String destination, float q) {

    public Target {
        Objects.requireNonNull(uri, "uri");
        if (q < 0f || q > 1f) {
            throw new IllegalArgumentException("q must be between 0 and 1, got " + q);
        }
    }

    public static Target of(String uri) {
        return new Target(uri, null, 1.0f);
    }
}
