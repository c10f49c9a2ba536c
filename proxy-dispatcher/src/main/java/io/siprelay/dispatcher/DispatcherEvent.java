package io.siprelay.dispatcher;

/**
 * A destination went down (became unusable: inactive or disabled) or up again. Kamailio's
 * {@code event_route[dispatcher:dst-down|dst-up]}; unlike Kamailio, changes made through {@link Dispatcher#setState}
 * fire events too, with their cause.
 *
 * @param type     up or down
 * @param setId    the set
 * @param uri      the destination URI
 * @param oldState two letters before (e.g. {@code TX})
 * @param newState two letters after (e.g. {@code IP})
 * @param cause    what changed it
 */
public record DispatcherEvent(Type type, int setId, String uri, String oldState, String newState, Cause cause) {

    public enum Type { UP, DOWN }

    public enum Cause {
        /** an OPTIONS probe (or its timeout) */
        PROBE,
        /** {@link Dispatcher#mark} from a route */
        MARK,
        /** {@link Dispatcher#setState} (dispatcher.set_state) */
        ADMIN,
        /** a reload changed the configured flags */
        RELOAD
    }
}
