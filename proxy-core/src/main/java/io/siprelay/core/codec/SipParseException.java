package io.siprelay.core.codec;

import java.util.List;

/**
 * A message that cannot be accepted. For a request the proxy answers {@link #statusCode()} with {@link #reason()}
 * when {@link #partial()} holds enough to build a reply (Via, From, To, Call-ID, CSeq); responses and requests too
 * broken to answer are dropped.
 */
public final class SipParseException extends Exception {

    private final int statusCode;
    private final String reason;
    private final transient SipMessage partial;
    private final List<String> unsupportedOptionTags;
    private final boolean response;

    public SipParseException(int statusCode, String reason, SipMessage partial) {
        this(statusCode, reason, partial, List.of(), partial != null && !partial.isRequest());
    }

    /**
     * @param unsupportedOptionTags for a 420: the Proxy-Require option tags to list in the reply's Unsupported header
     * @param response              true when the rejected message is (or starts like) a response: never answered
     */
    public SipParseException(int statusCode, String reason, SipMessage partial, List<String> unsupportedOptionTags,
            boolean response) {
        super(statusCode + " " + reason);
        this.statusCode = statusCode;
        this.reason = reason;
        this.partial = partial;
        this.unsupportedOptionTags = List.copyOf(unsupportedOptionTags);
        this.response = response;
    }

    public SipParseException(int statusCode, String reason, SipMessage partial, Throwable cause) {
        this(statusCode, reason, partial);
        initCause(cause);
    }

    /** The reply a request deserves: 400, 416, 420, 505, 513... */
    public int statusCode() {
        return statusCode;
    }

    /** Reason phrase for that reply, naming the offending header where known ("Bad CSeq"). */
    public String reason() {
        return reason;
    }

    /** What could be parsed, or null when not even the start line could. */
    public SipMessage partial() {
        return partial;
    }

    /** True when a reply can be sent: a request whose partial message has the headers a reply copies. */
    public boolean canReply() {
        return !response && partial != null && partial.isRequest() && partial.canBeAnswered();
    }

    /** True when the rejected message is a response (or starts like one); responses are dropped, never answered. */
    public boolean isResponse() {
        return response;
    }

    /**
     * For a 420 Bad Extension: the Proxy-Require option tags this element does not support, to be listed in the
     * reply's {@code Unsupported} header (RFC 3261 §8.2.2.3, §16.3). Empty for every other status.
     */
    public List<String> unsupportedOptionTags() {
        return unsupportedOptionTags;
    }
}
