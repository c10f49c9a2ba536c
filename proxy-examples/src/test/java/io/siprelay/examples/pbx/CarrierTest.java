package io.siprelay.examples.pbx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.examples.pbx.PbxRoutes.Carrier;
import javax.sip.address.AddressFactory;
import org.junit.jupiter.api.Test;

/** The {@code carrier} setting, read by the SIP stack's URI parser. */
class CarrierTest {

    private final AddressFactory addresses = SipCodec.create().addressFactory();

    @Test
    void theFormsOperatorsWrite() {
        assertThat(Carrier.of("sip:203.0.113.10:5060", addresses)).isEqualTo(new Carrier("203.0.113.10", 5060));
        assertThat(Carrier.of("203.0.113.10:5070", addresses)).isEqualTo(new Carrier("203.0.113.10", 5070));
        assertThat(Carrier.of(" carrier.example.net ", addresses)).isEqualTo(new Carrier("carrier.example.net", 0));
        assertThat(Carrier.of("sip:trunk@carrier.example.net;transport=udp", addresses))
                .isEqualTo(new Carrier("carrier.example.net", 0));
        assertThat(Carrier.of("sip:[2001:db8::1]:5060", addresses)).isEqualTo(new Carrier("[2001:db8::1]", 5060));
        assertThat(Carrier.of("sip:203.0.113.10:5060", addresses)).hasToString("sip:203.0.113.10:5060");
        assertThat(Carrier.of("", addresses)).isNull();
        assertThat(Carrier.of(null, addresses)).isNull();
    }

    @Test
    void garbageIsRefusedWithTheSetting() {
        for (String bad : new String[] {"sip:203.0.113.10:port", "tel:+15551234567", "sip:", "a b c", "sip:h:99999"}) {
            assertThatThrownBy(() -> Carrier.of(bad, addresses)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("carrier must be a SIP URI");
        }
    }
}
