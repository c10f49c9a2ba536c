package io.siprelay.registrar;

/**
 * What {@link Registrar#save} did, as Kamailio's {@code save()} return codes. After {@code save} the route can read
 * it with {@code ctx.get(Registrar.SAVE_RESULT)}.
 */
public enum SaveResult {
    /** At least one new binding was added (Kamailio's 1). */
    INSERTED,
    /** Existing bindings were refreshed, none added (2). */
    UPDATED,
    /** Bindings were removed and none added or refreshed (3). */
    DELETED,
    /** A query (no Contact) or a retransmission: the bindings were returned unchanged (4). */
    RETURNED,
    /** Refused with an error reply (-1; 503 for too many contacts is -2 in Kamailio). */
    REJECTED
}
