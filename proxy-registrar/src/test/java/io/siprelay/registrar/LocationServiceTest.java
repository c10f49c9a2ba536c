package io.siprelay.registrar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ul.dump / ul.lookup / ul.rm data in Kamailio's JSON shape. */
class LocationServiceTest {

    private final SipTestKit kit = SipTestKit.create();
    private final Registrar registrar = Registrar.builder().clock(kit.clock()).build();
    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void close() {
        registrar.close();
        kit.close();
    }

    private void registerSome() {
        kit.proxy(b -> b.requestRoute(ctx -> ctx.route(registrar.save())));
        Ua alice = new Ua(kit, kit.peer("127.0.0.2", 5060), "alice@example.com");
        alice.send(alice.register("600", "<sip:alice@127.0.0.2:5060>;q=0.5", "<sip:alice@10.1.1.1:5060>"));
        Ua bob = new Ua(kit, kit.peer("127.0.0.3", 5060), "bob@example.org");
        bob.send(bob.register("3600", "<sip:bob@127.0.0.3:5060>"));
        kit.advance(Duration.ofSeconds(10));
    }

    @Test
    void dumpHasKamailiosShape() throws Exception {
        registerSome();
        JsonNode root = json.valueToTree(registrar.locationService().dump());
        JsonNode domain = root.path("Domains").get(0).path("Domain");
        assertThat(domain.path("Domain").asText()).isEqualTo("location");
        assertThat(domain.path("Size").asInt()).isEqualTo(2);
        assertThat(domain.path("Stats").path("Records").asInt()).isEqualTo(2);
        JsonNode info = domain.path("AoRs").get(0).path("Info");
        assertThat(info.path("AoR").asText()).isEqualTo("alice@example.com");
        assertThat(info.has("HashID")).isTrue();
        JsonNode first = info.path("Contacts").get(0).path("Contact");
        assertThat(first.path("Address").asText()).isEqualTo("sip:alice@10.1.1.1:5060");
        assertThat(first.path("Expires").asLong()).isEqualTo(590);
        assertThat(first.path("Q").asDouble()).isEqualTo(1.0);
        assertThat(first.path("Received").asText()).isEqualTo("sip:127.0.0.2:5060");
        assertThat(first.path("Path").asText()).isEqualTo("[not set]");
        assertThat(first.path("Methods").asLong()).isEqualTo(4294967295L);
        assertThat(first.path("Call-ID").asText()).isEqualTo("reg-alice@example.com-127.0.0.2");
        assertThat(first.path("CSeq").asLong()).isEqualTo(1);
        assertThat(first.path("Socket").asText()).isEqualTo("udp:127.0.0.1:5060");
        assertThat(first.path("Last-Modified").asLong()).isEqualTo(1_700_000_000L);
        assertThat(first.path("Ruid").asText()).startsWith("uloc-");
        List<String> fields = new ArrayList<>();
        first.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).startsWith("Address", "Expires", "Q", "Call-ID", "CSeq", "User-Agent", "Received", "Path")
                .contains("Instance", "Reg-Id", "Last-Modified");
        assertThat(info.path("Contacts").get(1).path("Contact").path("Q").asDouble()).isEqualTo(0.5);
        String text = json.writeValueAsString(registrar.locationService().dump());
        assertThat(text).startsWith("{\"Domains\":[{\"Domain\":{\"Domain\":\"location\",\"Size\":2,\"AoRs\":[");
    }

    @Test
    void briefDumpListsAorsOnly() {
        registerSome();
        JsonNode info = json.valueToTree(registrar.locationService().dump(true)).path("Domains").get(0)
                .path("Domain").path("AoRs").get(1).path("Info");
        assertThat(info.path("AoR").asText()).isEqualTo("bob@example.org");
        assertThat(info.has("Contacts")).isFalse();
    }

    @Test
    void lookupAndRemove() {
        registerSome();
        LocationService ul = registrar.locationService();
        assertThat(ul.lookup("sip:bob@example.org")).hasValueSatisfying(a -> {
            assertThat(a.aor()).isEqualTo("bob@example.org");
            assertThat(a.contacts()).hasSize(1);
        });
        assertThat(ul.lookup("nobody@example.org")).isEmpty();
        assertThat(ul.removeContact("alice@example.com", "sip:alice@10.1.1.1:5060")).isTrue();
        assertThat(ul.lookup("alice@example.com").orElseThrow().contacts()).hasSize(1);
        assertThat(ul.remove("alice@example.com")).isEqualTo(1);
        assertThat(ul.lookup("alice@example.com")).isEmpty();
        assertThat(ul.dump().domains().get(0).domain().aors()).hasSize(1);
    }
}
