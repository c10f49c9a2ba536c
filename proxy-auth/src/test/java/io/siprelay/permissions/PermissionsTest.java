package io.siprelay.permissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PermissionsTest {

    @Test
    void hostSubnetAndPortMatching() {
        Permissions p = Permissions.of(List.of(
                AddressEntry.host(200, "192.0.2.10"),
                new AddressEntry(200, "198.51.100.0", 24, 0, "carrier-b"),
                new AddressEntry(300, "203.0.113.5", 32, 5080, "pbx"),
                new AddressEntry(1, "10.0.0.0", 8, 0, null)));

        assertThat(p.allow(200, "192.0.2.10", 5060)).isTrue();
        assertThat(p.allow(200, "192.0.2.11", 5060)).isFalse();
        assertThat(p.allow(200, "198.51.100.77", 1234)).isTrue();
        assertThat(p.allow(200, "198.51.101.77", 1234)).isFalse();
        assertThat(p.allow(300, "198.51.100.77", 1234)).as("other group").isFalse();

        assertThat(p.allow(300, "203.0.113.5", 5080)).isTrue();
        assertThat(p.allow(300, "203.0.113.5", 5060)).as("port must match").isFalse();

        assertThat(p.allow(1, "10.255.1.2", 9)).isTrue();
        assertThat(p.groupOf("10.1.1.1", 5060)).isEqualTo(1);
        assertThat(p.groupOf("192.0.2.10", 5060)).isEqualTo(200);
        assertThat(p.groupOf("8.8.8.8", 5060)).isEqualTo(-1);
        assertThat(p.match(200, "198.51.100.1", 5060)).get().extracting(AddressEntry::tag).isEqualTo("carrier-b");
    }

    @Test
    void longestPrefixWins() {
        Permissions p = Permissions.of(List.of(
                new AddressEntry(1, "10.0.0.0", 8, 0, "wide"),
                new AddressEntry(2, "10.1.0.0", 16, 0, "narrow"),
                new AddressEntry(3, "10.1.2.3", 0, 0, "host")));
        assertThat(p.groupOf("10.1.2.3", 1)).isEqualTo(3);
        assertThat(p.groupOf("10.1.2.4", 1)).isEqualTo(2);
        assertThat(p.groupOf("10.2.2.4", 1)).isEqualTo(1);
        assertThat(p.allow(1, "10.1.2.3", 1)).as("a wider entry of the asked group still matches").isTrue();
    }

    @Test
    void ipv6() {
        Permissions p = Permissions.of(List.of(
                new AddressEntry(5, "2001:db8::", 32, 0, "v6net"),
                AddressEntry.host(6, "[2001:db8:0:0:0:0:0:1]"),
                new AddressEntry(7, "fe80::", 10, 5060, null),
                new AddressEntry(8, "2001:db8:1:2:3:4:5:0", 120, 0, null)));
        assertThat(p.groupOf("2001:db8::1", 5060)).isEqualTo(6);
        assertThat(p.groupOf("2001:db8:ffff::1", 5060)).isEqualTo(5);
        assertThat(p.groupOf("2001:db9::1", 5060)).isEqualTo(-1);
        assertThat(p.allow(7, "fe80::1234", 5060)).isTrue();
        assertThat(p.allow(7, "fe80::1234", 5061)).isFalse();
        assertThat(p.allow(7, "febf::1", 5060)).isTrue();
        assertThat(p.allow(7, "fec0::1", 5060)).isFalse();
        assertThat(p.groupOf("2001:db8:1:2:3:4:5:ff", 1)).isEqualTo(8);
        assertThat(p.groupOf("2001:db8:1:2:3:4:6:ff", 1)).isEqualTo(5);
        assertThat(p.groupOf("192.0.2.1", 1)).as("IPv4 never matches IPv6 entries").isEqualTo(-1);
    }

    @Test
    void maskZeroMeansOneHostAndHostBitsAreIgnored() {
        Permissions p = Permissions.of(List.of(new AddressEntry(1, "192.0.2.1", 0, 0, null),
                new AddressEntry(2, "198.51.100.99", 24, 0, null)));
        assertThat(p.allow(1, "192.0.2.2", 0)).isFalse();
        assertThat(p.allow(2, "198.51.100.1", 0)).isTrue();
    }

    @Test
    void invalidEntriesAreRejected() {
        assertThatThrownBy(() -> AddressEntry.host(1, "sip.example.com")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> AddressEntry.host(1, "256.1.1.1")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> AddressEntry.host(1, "1.2.3")).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> new AddressEntry(1, "1.2.3.4", 33, 0, null)).hasMessageContaining("mask");
        assertThatThrownBy(() -> new AddressEntry(1, "::1", 129, 0, null)).hasMessageContaining("mask");
        assertThatThrownBy(() -> new AddressEntry(1, "1.2.3.4", 0, 70000, null)).hasMessageContaining("port");
        assertThatThrownBy(() -> new AddressEntry(-1, "1.2.3.4", 0, 0, null)).hasMessageContaining("group");
        Permissions p = Permissions.of(List.of(AddressEntry.host(1, "1.2.3.4")));
        assertThat(p.allow(1, "not-an-ip", 0)).isFalse();
        assertThat(p.groupOf("localhost", 0)).isEqualTo(-1);
    }

    @Test
    void fileSourceAndReload(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("address.list");
        Files.writeString(f, """
                # grp addr [mask [port [tag]]]
                200 192.0.2.10
                200 198.51.100.0 24 0 carrier two
                1   10.0.0.0/8
                2   2001:db8::/32 0 5060 v6
                """);
        Permissions p = Permissions.load(AddressSource.file(f));
        assertThat(p.size()).isEqualTo(4);
        assertThat(p.match(200, "198.51.100.3", 1)).get().extracting(AddressEntry::tag).isEqualTo("carrier two");
        assertThat(p.allow(1, "10.9.9.9", 1)).isTrue();
        assertThat(p.allow(2, "2001:db8::7", 5060)).isTrue();

        Files.writeString(f, "300 203.0.113.1\n");
        assertThat(p.reload()).isEqualTo(new ReloadResult(true, 1, null));
        assertThat(p.allow(200, "192.0.2.10", 1)).isFalse();
        assertThat(p.allow(300, "203.0.113.1", 1)).isTrue();

        Files.writeString(f, "300 203.0.113.1\n300 203.0.113.300\n");
        ReloadResult bad = p.reload();
        assertThat(bad.ok()).isFalse();
        assertThat(bad.entries()).isEqualTo(1);
        assertThat(bad.error()).contains("address.list:2").contains("203.0.113.300");
        assertThat(p.allow(300, "203.0.113.1", 1)).as("old data kept").isTrue();

        Files.delete(f);
        assertThat(p.reload().ok()).isFalse();
        assertThat(p.size()).isEqualTo(1);
    }

    @Test
    void badStartupFailsLoudly() {
        assertThatThrownBy(() -> Permissions.load(() -> {
            throw new IOException("database down");
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("database down");
    }
}
