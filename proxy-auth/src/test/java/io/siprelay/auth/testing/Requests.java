package io.siprelay.auth.testing;

import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.text.ParseException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sip.InvalidArgumentException;
import javax.sip.address.AddressFactory;
import javax.sip.header.CSeqHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;

/** Request builders for auth tests: a peer's request with a chosen From/To identity. */
public final class Requests {

    private static final AtomicLong BRANCH = new AtomicLong();

    private Requests() {
    }

    /** A request from {@code peer} with From {@code sip:fromUser@domain} and To {@code toUri}. */
    public static Request as(SipTestKit kit, Peer peer, String method, String requestUri, String fromUser,
                             String domain, String toUri) {
        Request r = peer.request(method, requestUri);
        HeaderFactory hf = kit.codec().headerFactory();
        AddressFactory af = kit.codec().addressFactory();
        try {
            r.setHeader(hf.createFromHeader(af.createAddress("sip:" + fromUser + "@" + domain),
                    "t" + BRANCH.incrementAndGet()));
            r.setHeader(hf.createToHeader(af.createAddress(toUri), null));
        } catch (ParseException e) {
            throw new IllegalArgumentException(e);
        }
        return r;
    }

    /** A REGISTER of {@code user@domain} (From = To = the AoR). */
    public static Request register(SipTestKit kit, Peer peer, String user, String domain) {
        return as(kit, peer, "REGISTER", "sip:" + domain, user, domain, "sip:" + user + "@" + domain);
    }

    /** The same request as a new transaction: fresh Via branch, CSeq + 1 (what a UAC does after a challenge). */
    public static Request next(Request r) {
        Request n = (Request) r.clone();
        try {
            ((ViaHeader) n.getHeader(ViaHeader.NAME)).setBranch("z9hG4bKauth" + BRANCH.incrementAndGet());
            CSeqHeader cseq = (CSeqHeader) n.getHeader(CSeqHeader.NAME);
            cseq.setSeqNumber(cseq.getSeqNumber() + 1);
        } catch (ParseException | InvalidArgumentException e) {
            throw new IllegalStateException(e);
        }
        return n;
    }
}
