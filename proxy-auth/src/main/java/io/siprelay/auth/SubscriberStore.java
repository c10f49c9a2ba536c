package io.siprelay.auth;

import java.util.Optional;

/**
 * Where {@link DigestAuth} finds credentials (Kamailio's {@code auth_db} table argument). Implementations must be
 * thread-safe; {@link #find} runs on the request path, so cache it if it is slow.
 *
 * @see InMemorySubscriberStore
 * @see io.siprelay.auth.db.JdbcSubscriberStore
 */
public interface SubscriberStore {

    /** The subscriber {@code username} of {@code domain}, if there is one. */
    Optional<Subscriber> find(String username, String domain);

    /** Adds a subscriber or replaces the one with the same username and domain. */
    void put(Subscriber subscriber);

    /** Adds (or replaces) a subscriber with a plaintext password ({@code kamctl add}). */
    default void add(String username, String domain, String password) {
        put(Subscriber.withPassword(username, domain, password));
    }

    /** Changes a password ({@code kamctl passwd}); false when there is no such subscriber. */
    default boolean changePassword(String username, String domain, String password) {
        if (find(username, domain).isEmpty()) {
            return false;
        }
        put(Subscriber.withPassword(username, domain, password));
        return true;
    }

    /** Removes a subscriber ({@code kamctl rm}); false when there was none. */
    boolean remove(String username, String domain);
}
