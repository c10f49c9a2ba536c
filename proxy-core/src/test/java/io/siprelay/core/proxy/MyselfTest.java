package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.testkit.SipTestKit;
import javax.sip.address.AddressFactory;
import org.junit.jupiter.api.Test;

class MyselfTest {

    private final AddressFactory af = SipCodec.create().addressFactory();

    @Test
    void domainsMatchOnAnyPortIgnoringCase() throws Exception {
        Myself me = Myself.create().domain("Example.COM", "sip.example.org");
        assertThat(me.isMyself("example.com", 5060)).isTrue();
        assertThat(me.isMyself("EXAMPLE.com", 5099)).isTrue();
        assertThat(me.isMyself(af.createURI("sip:alice@sip.example.org:5070"))).isTrue();
        assertThat(me.isMyself("other.com", 5060)).isFalse();
        assertThat(me.isMyself("sub.example.com", 5060)).isFalse();
        assertThat(me.isMyself(af.createURI("tel:+4930123"))).isFalse();
        assertThat(me.isMyself(null, 5060)).isFalse();
        assertThat(me.isMyself("[", 5060)).isFalse();
    }

    @Test
    void addressesMatchTheirPortWithDefaults() throws Exception {
        Myself me = Myself.create().address("10.0.0.1", 5060).address("10.0.0.1", 5061).address("192.0.2.7");
        assertThat(me.isMyself(af.createURI("sip:10.0.0.1"))).isTrue();
        assertThat(me.isMyself(af.createURI("sips:10.0.0.1"))).as("sips default port 5061").isTrue();
        assertThat(me.isMyself(af.createURI("sip:10.0.0.1:5080"))).isFalse();
        assertThat(me.isMyself("10.0.0.1", 0)).isTrue();
        assertThat(me.isMyself("192.0.2.7", 7000)).as("address without port: any port").isTrue();
        assertThat(me.isMyself("10.0.0.2", 5060)).isFalse();
    }

    @Test
    void ipv6ComparesByAddress() throws Exception {
        Myself me = Myself.create().address("[2001:db8::1]", 5060);
        assertThat(me.isMyself(af.createURI("sip:[2001:db8:0:0:0:0:0:1]:5060"))).isTrue();
        assertThat(me.isMyself(af.createURI("sip:[2001:DB8::1]"))).isTrue();
        assertThat(me.isMyself("2001:db8::2", 5060)).isFalse();
    }

    @Test
    void listenersOfARunningProxy() {
        try (SipTestKit kit = SipTestKit.create()) {
            SipProxy proxy = kit.proxy("127.0.0.5", 5070, b -> b.requestRoute(ctx -> ctx.reply(200, "OK")));
            Myself me = Myself.create().listeners(proxy.listeners());
            assertThat(me.isMyself("127.0.0.5", 5070)).isTrue();
            assertThat(me.isMyself("127.0.0.5", 5060)).isFalse();
        }
    }
}
