package io.siprelay.core.codec;

import gov.nist.javax.sip.address.AddressFactoryImpl;
import gov.nist.javax.sip.header.HeaderFactoryImpl;
import gov.nist.javax.sip.message.MessageFactoryImpl;
import gov.nist.javax.sip.message.SIPMessage;
import gov.nist.javax.sip.parser.StringMsgParser;
import java.text.ParseException;
import javax.sip.address.AddressFactory;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Message;
import javax.sip.message.MessageFactory;

/** {@link SipCodec} on the JAIN-SIP RI parser. Thread-safe: one parser object per parse (the RI's are not). */
final class JainSipCodec implements SipCodec {

    private final SipLimits limits;
    private final MessageFactoryImpl messageFactory = new MessageFactoryImpl();
    private final HeaderFactoryImpl headerFactory = new HeaderFactoryImpl();
    private final AddressFactoryImpl addressFactory = new AddressFactoryImpl();

    JainSipCodec(SipLimits limits) {
        this.limits = limits;
    }

    @Override
    public SipMessage parse(byte[] data) throws SipParseException {
        if (data.length > limits.maxMessageBytes()) {
            throw new SipParseException(513, "Message Too Large", null);
        }
        try {
            SIPMessage m = new StringMsgParser().parseSIPMessage(data, true, false, null);
            if (m == null) {
                throw new SipParseException(400, "Bad Request", null);
            }
            return SipMessage.of(m);
        } catch (ParseException e) {
            throw new SipParseException(400, "Bad Request", null, e);
        } catch (RuntimeException | StackOverflowError e) {
            throw new SipParseException(400, "Bad Request", null, e);
        }
    }

    @Override
    public byte[] encode(Message message) {
        SIPMessage m = (SIPMessage) message;
        // the RI writes its argument into the top Via's transport: hand it the transport that is already there
        javax.sip.header.ViaHeader top = m.getTopmostViaHeader();
        return m.encodeAsBytes(top == null ? "UDP" : top.getTransport());
    }

    @Override
    public MessageFactory messageFactory() {
        return messageFactory;
    }

    @Override
    public HeaderFactory headerFactory() {
        return headerFactory;
    }

    @Override
    public AddressFactory addressFactory() {
        return addressFactory;
    }
}
