package io.siprelay.testkit;

import io.siprelay.core.codec.SipMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import javax.sip.header.Header;
import javax.sip.header.ToHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.assertj.core.api.AbstractAssert;

/** AssertJ assertions for a SIP request or response. */
public final class SipMessageAssert extends AbstractAssert<SipMessageAssert, Message> {

    SipMessageAssert(Message actual) {
        super(actual, SipMessageAssert.class);
    }

    /** A response with this status code. */
    public SipMessageAssert hasStatus(int status) {
        isNotNull();
        if (!(actual instanceof Response r)) {
            failWithMessage("Expected a %d response but got a %s request", status, ((Request) actual).getMethod());
            return this;
        }
        if (r.getStatusCode() != status) {
            failWithMessage("Expected status <%d> but was <%d %s>%n%s", status, r.getStatusCode(), r.getReasonPhrase(),
                    actual);
        }
        return this;
    }

    public SipMessageAssert hasReason(String reason) {
        isNotNull();
        if (!(actual instanceof Response r) || !reason.equals(r.getReasonPhrase())) {
            failWithMessage("Expected reason phrase <%s> in%n%s", reason, actual);
        }
        return this;
    }

    /** A request with this method. */
    public SipMessageAssert isRequest(String method) {
        isNotNull();
        if (!(actual instanceof Request r) || !r.getMethod().equalsIgnoreCase(method)) {
            failWithMessage("Expected a %s request but got%n%s", method, actual);
        }
        return this;
    }

    public SipMessageAssert hasHeader(String name) {
        isNotNull();
        if (actual.getHeader(name) == null) {
            failWithMessage("Expected a %s header in%n%s", name, actual);
        }
        return this;
    }

    public SipMessageAssert doesNotHaveHeader(String name) {
        isNotNull();
        if (actual.getHeader(name) != null) {
            failWithMessage("Expected no %s header in%n%s", name, actual);
        }
        return this;
    }

    /** The first header of this name has exactly this value (text after the colon, trimmed). */
    public SipMessageAssert hasHeaderValue(String name, String value) {
        hasHeader(name);
        String v = valueOf(actual.getHeader(name));
        if (!v.equals(value)) {
            failWithMessage("Expected %s: <%s> but was <%s>", name, value, v);
        }
        return this;
    }

    /** Number of header values of this name (each Via of a multi-value line counts). */
    public SipMessageAssert hasHeaderCount(String name, int count) {
        isNotNull();
        List<String> values = new ArrayList<>();
        ListIterator<?> it = actual.getHeaders(name);
        while (it.hasNext()) {
            values.add(valueOf((Header) it.next()));
        }
        if (values.size() != count) {
            failWithMessage("Expected %d %s values but found %d: %s", count, name, values.size(), values);
        }
        return this;
    }

    public SipMessageAssert hasToTag() {
        isNotNull();
        ToHeader to = (ToHeader) actual.getHeader(ToHeader.NAME);
        if (to == null || to.getTag() == null || to.getTag().isEmpty()) {
            failWithMessage("Expected a To tag in%n%s", actual);
        }
        return this;
    }

    static SipMessageAssert of(SipMessage m) {
        return new SipMessageAssert(m == null ? null : m.message());
    }

    private static String valueOf(Header h) {
        String s = h.toString();
        return s.substring(s.indexOf(':') + 1).trim();
    }
}
