package io.siprelay.core.codec;

/**
 * Size limits applied before and during parsing, so a hostile peer cannot make the proxy allocate without bound.
 *
 * @param maxMessageBytes largest whole message (headers and body) accepted
 * @param maxHeaders      most header lines in one message
 * @param maxLineBytes    longest single header line (after unfolding)
 */
public record SipLimits(int maxMessageBytes, int maxHeaders, int maxLineBytes) {

    public SipLimits {
        if (maxMessageBytes < 256 || maxHeaders < 8 || maxLineBytes < 64) {
            throw new IllegalArgumentException("limits too small to carry any SIP message: " + maxMessageBytes
                    + " bytes, " + maxHeaders + " headers, " + maxLineBytes + " bytes per line");
        }
    }

    /** 64 KiB messages, 256 headers, 8 KiB lines: far above real traffic, far below harm. */
    public static SipLimits defaults() {
        return new SipLimits(65_535, 256, 8_192);
    }
}
