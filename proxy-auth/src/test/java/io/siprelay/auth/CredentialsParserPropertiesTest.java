package io.siprelay.auth;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

/** Whatever a client sends, parsing credentials never throws, and well-formed parameters round-trip. */
class CredentialsParserPropertiesTest {

    @Property(tries = 2000)
    void neverThrows(@ForAll @StringLength(max = 200) String junk) {
        DigestCredentials.parse(junk);
        DigestCredentials.parse("Digest " + junk);
    }

    @Property(tries = 500)
    void quotedValuesRoundTrip(@ForAll @StringLength(max = 40) String user, @ForAll @StringLength(max = 40) String realm) {
        String u = user.replaceAll("[\\p{Cntrl}]", "");
        String r = realm.replaceAll("[\\p{Cntrl}]", "");
        String header = "Digest username=\"" + escape(u) + "\", realm=\"" + escape(r) + "\", nonce=\"n\"";
        DigestCredentials c = DigestCredentials.parse(header).orElseThrow();
        assertThat(c.username()).isEqualTo(u);
        assertThat(c.realm()).isEqualTo(r);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
