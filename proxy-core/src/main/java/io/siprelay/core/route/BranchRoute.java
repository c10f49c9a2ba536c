package io.siprelay.core.route;

/**
 * Kamailio's {@code branch_route}: runs once per outgoing branch, on that branch's copy of the request, just before
 * it is sent. It may change the copy (headers, Request-URI) or drop the branch.
 */
@FunctionalInterface
public interface BranchRoute {
    void handle(BranchContext branch);
}
