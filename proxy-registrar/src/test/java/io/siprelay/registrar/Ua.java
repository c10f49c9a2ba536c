package io.siprelay.registrar;

import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import javax.sip.InvalidArgumentException;
import javax.sip.header.CallIdHeader;
import javax.sip.header.ContactHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;
import javax.sip.message.Response;

/** A registering user agent on top of a test-kit peer: builds REGISTERs with chosen Contacts, Call-ID and CSeq. */
final class Ua {

    final Peer peer;
    final String aor;
    final String callId;
    private final SipTestKit kit;
    private long cseq;

    Ua(SipTestKit kit, Peer peer, String aor) {
        this.kit = kit;
        this.peer = peer;
        this.aor = aor;
        this.callId = "reg-" + aor + "-" + peer.host();
    }

    /** This peer's own contact URI. */
    String contact() {
        return "sip:" + aor.substring(0, aor.indexOf('@')) + "@" + peer.host() + ":" + peer.port();
    }

    /** A REGISTER with the next CSeq and the given Contact header values (none: a query). */
    Request register(String expiresHeader, String... contacts) {
        return register(++cseq, expiresHeader, contacts);
    }

    Request register(long cseqNumber, String expiresHeader, String... contacts) {
        this.cseq = Math.max(cseq, cseqNumber);
        Request r = peer.request("REGISTER", "sip:" + aor);
        HeaderFactory hf = kit.codec().headerFactory();
        try {
            r.setRequestURI(kit.codec().addressFactory().createURI("sip:" + aor.substring(aor.indexOf('@') + 1)));
            r.setHeader(hf.createCallIdHeader(callId));
            r.setHeader(hf.createCSeqHeader(cseqNumber, "REGISTER"));
            r.removeHeader(ContactHeader.NAME);
            for (String c : contacts) {
                r.addHeader(hf.createHeader(ContactHeader.NAME, c));
            }
            if (expiresHeader != null) {
                r.setHeader(hf.createHeader("Expires", expiresHeader));
            }
        } catch (ParseException | InvalidArgumentException e) {
            throw new IllegalArgumentException(e);
        }
        return r;
    }

    /** Sends and returns the response. */
    Response send(Request r) {
        peer.send(r);
        return peer.takeResponse();
    }

    /** Contact values of a response, as text. */
    static List<String> contacts(Response r) {
        List<String> out = new ArrayList<>();
        for (ListIterator<?> it = r.getHeaders(ContactHeader.NAME); it.hasNext(); ) {
            String s = it.next().toString().trim();
            out.add(s.substring(s.indexOf(':') + 1).trim());
        }
        return out;
    }

    static String callId(Request r) {
        return ((CallIdHeader) r.getHeader(CallIdHeader.NAME)).getCallId();
    }
}
