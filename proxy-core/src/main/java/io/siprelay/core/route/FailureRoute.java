package io.siprelay.core.route;

/**
 * Kamailio's {@code failure_route}: runs when every branch of a relayed request has ended with a final response of 300
 * or more, or a timer fired, before the best response goes upstream. It may relay again to new targets
 * (serial failover), answer itself, or return {@link Step#next()} to let the best response go.
 */
@FunctionalInterface
public interface FailureRoute {
    Step handle(FailureContext failure);
}
