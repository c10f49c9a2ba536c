package io.siprelay.core.route;

import java.util.Objects;

/**
 * A typed per-transaction variable (Kamailio's AVP): set in the request route, read in failure, reply and branch
 * routes of the same transaction. Keys compare by identity: declare each once as a constant.
 *
 * <pre>{@code
 * static final TxKey<String> CARRIER = TxKey.of("carrier", String.class);
 * ctx.set(CARRIER, "gw1");           // request route
 * String c = failure.get(CARRIER);   // failure route
 * }</pre>
 */
public final class TxKey<T> {

    private final String name;
    private final Class<T> type;

    private TxKey(String name, Class<T> type) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
    }

    public static <T> TxKey<T> of(String name, Class<T> type) {
        return new TxKey<>(name, type);
    }

    public String name() {
        return name;
    }

    T cast(Object value) {
        return type.cast(value);
    }

    @Override
    public String toString() {
        return "TxKey(" + name + ": " + type.getSimpleName() + ")";
    }
}
