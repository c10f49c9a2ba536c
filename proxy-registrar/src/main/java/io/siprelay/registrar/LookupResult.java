package io.siprelay.registrar;

/**
 * What {@link Registrar#lookup} found, as Kamailio's {@code lookup()} return codes: a route branches on it.
 *
 * <pre>{@code
 * return switch (registrar.lookup(ctx)) {
 *     case FOUND -> ctx.relay();
 *     case NOT_FOUND -> ctx.reply(404, "User not Registered");
 *     case METHOD_NOT_ALLOWED -> ctx.reply(405, "Method Not Allowed");
 * };
 * }</pre>
 */
public enum LookupResult {
    /** The target set is set (Kamailio's 1): Request-URI, {@code $du} and appended branches; relay it. */
    FOUND,
    /** No binding, or all expired (Kamailio's -1): answer 404. */
    NOT_FOUND,
    /** Bindings exist but none accepts this method according to its Allow (Kamailio's -2): answer 405. */
    METHOD_NOT_ALLOWED
}
