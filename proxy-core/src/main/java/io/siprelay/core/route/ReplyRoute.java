package io.siprelay.core.route;

/** Kamailio's {@code onreply_route}: sees each response of a relayed request before it is forwarded. */
@FunctionalInterface
public interface ReplyRoute {
    void handle(ReplyContext reply);
}
