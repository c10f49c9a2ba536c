package io.siprelay.media;

import java.util.Objects;

/**
 * A failed ng command. The message names the instance and the command (and, for {@link Kind#ERROR_REPLY}, the
 * daemon's {@code error-reason}); {@link #kind()} tells a route what to do about it without parsing text.
 */
public final class NgException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why the command failed. */
    public enum Kind {
        /** No reply after the first try and every retry. The instance is disabled for the disable timeout. */
        TIMEOUT,
        /** The daemon answered {@code result: error}; the message carries its {@code error-reason}. */
        ERROR_REPLY,
        /** Too many commands in flight on this client, or the daemon answered {@code result: load limit}. */
        OVERLOADED,
        /** No instance of the set is enabled. */
        NO_INSTANCE,
        /** The socket failed, or the client was closed while the command was pending. */
        IO
    }

    private final Kind kind;

    /** A failure of the given kind. */
    public NgException(Kind kind, String message) {
        this(kind, message, null);
    }

    /** A failure of the given kind caused by {@code cause}. */
    public NgException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** Why the command failed. */
    public Kind kind() {
        return kind;
    }
}
