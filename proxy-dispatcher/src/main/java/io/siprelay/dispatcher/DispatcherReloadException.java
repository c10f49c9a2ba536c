package io.siprelay.dispatcher;

/** A reload (or add) was refused: the source could not be read or an entry is invalid. The old sets stay in use. */
public final class DispatcherReloadException extends RuntimeException {

    private final transient DispatcherEntry entry;

    public DispatcherReloadException(String message, DispatcherEntry entry, Throwable cause) {
        super(message, cause);
        this.entry = entry;
    }

    /** The offending entry, or null when the source itself failed. */
    public DispatcherEntry entry() {
        return entry;
    }
}
