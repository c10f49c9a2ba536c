package io.siprelay.core.codec;

import javax.sip.address.AddressFactory;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Message;
import javax.sip.message.MessageFactory;

/**
 * Turns bytes into SIP messages and back. The only door to the parser implementation: nothing outside this package
 * touches {@code gov.nist.*}. Parsing includes the sanity checks that decide the error reply for a bad request.
 */
public interface SipCodec {

    /**
     * Parses and validates one whole message (one datagram, or one framed message of a stream).
     *
     * @throws SipParseException for anything malformed or insane; it says which reply a request deserves
     */
    SipMessage parse(byte[] data) throws SipParseException;

    /** Encodes a message to wire bytes (UTF-8 headers, raw body). */
    byte[] encode(Message message);

    /** Wire bytes of a message: the received bytes when it was never parsed (nothing to re-encode), else encoded. */
    default byte[] encode(SipMessage message) {
        byte[] wire = message.wireBytes();
        return wire != null ? wire : encode(message.message());
    }

    /**
     * How many received requests this codec's fast scan accepted and something later parsed in full anyway (a route
     * or the core asked for the JAIN-SIP request): the requests that did not take the cheap path.
     */
    default long deferredRequestParses() {
        return 0;
    }

    MessageFactory messageFactory();

    HeaderFactory headerFactory();

    AddressFactory addressFactory();

    /** The default codec: JAIN-SIP RI parser with our validation on top. */
    static SipCodec create(SipLimits limits) {
        return new JainSipCodec(limits);
    }

    /**
     * @param supportedOptionTags option tags this proxy supports in Proxy-Require; a request requiring any other is
     *                            refused with 420 (see {@link SipParseException#unsupportedOptionTags()})
     */
    static SipCodec create(SipLimits limits, java.util.Set<String> supportedOptionTags) {
        return new JainSipCodec(limits, supportedOptionTags, true);
    }

    /**
     * A codec that parses and validates every message in full as it arrives, instead of parsing plainly well-formed
     * messages lazily. Costs about twice the CPU per message; useful where every malformed header must be refused
     * even when no route reads it.
     */
    static SipCodec createEager(SipLimits limits, java.util.Set<String> supportedOptionTags) {
        return new JainSipCodec(limits, supportedOptionTags, false);
    }

    static SipCodec create() {
        return new JainSipCodec(SipLimits.defaults());
    }
}
