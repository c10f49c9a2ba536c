package io.siprelay.media;

/**
 * Malformed bencode input. The message and {@link #offset()} give the position of the offending byte, relative to
 * the start of the decoded range, so a bad datagram can be diagnosed from the log line alone.
 */
public final class BencodeException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final int offset;

    /** A decoding failure at {@code offset} (relative to the start of the input range). */
    public BencodeException(String reason, int offset) {
        super(reason + " at offset " + offset);
        this.offset = offset;
    }

    /** Position of the offending byte, relative to the start of the decoded range. */
    public int offset() {
        return offset;
    }
}
