package io.siprelay.testkit;

import io.siprelay.core.codec.SipMessage;
import javax.sip.message.Message;

/** Entry point: {@code import static io.siprelay.testkit.SipAssertions.assertThat;}. */
public final class SipAssertions {

    private SipAssertions() {
    }

    public static SipMessageAssert assertThat(Message actual) {
        return new SipMessageAssert(actual);
    }

    public static SipMessageAssert assertThat(SipMessage actual) {
        return SipMessageAssert.of(actual);
    }
}
