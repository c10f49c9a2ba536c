package io.siprelay.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The worked examples of RFC 2069, RFC 2617 §3.5 and RFC 7616 §3.9.1, through {@link Digest}. */
class DigestVectorsTest {

    @Test
    void rfc2617WithQopAuthMd5() {
        String ha1 = Digest.ha1(DigestAlgorithm.MD5, "Mufasa", "testrealm@host.com", "Circle Of Life");
        String r = Digest.response(DigestAlgorithm.MD5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                "0a4f113b", "auth", "GET", "/dir/index.html", null);
        assertThat(r).isEqualTo("6629fae49393a05397450978507c4ef1");
    }

    /** RFC 2069 §2.4; the RFC prints e966c932…, which its errata corrects to 1949323746…. */
    @Test
    void rfc2069WithoutQopMd5() {
        String ha1 = Digest.ha1(DigestAlgorithm.MD5, "Mufasa", "testrealm@host.com", "CircleOfLife");
        String r = Digest.response(DigestAlgorithm.MD5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", null, null, null,
                "GET", "/dir/index.html", null);
        assertThat(r).isEqualTo("1949323746fe6a43ef61f9606e7febea");
    }

    @Test
    void rfc7616Md5() {
        String ha1 = Digest.ha1(DigestAlgorithm.MD5, "Mufasa", "http-auth@example.org", "Circle of Life");
        String r = Digest.response(DigestAlgorithm.MD5, ha1, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET", "/dir/index.html", null);
        assertThat(r).isEqualTo("8ca523f5e9506fed4657c9700eebdbec");
    }

    @Test
    void rfc7616Sha256() {
        String ha1 = Digest.ha1(DigestAlgorithm.SHA_256, "Mufasa", "http-auth@example.org", "Circle of Life");
        String r = Digest.response(DigestAlgorithm.SHA_256, ha1, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET", "/dir/index.html", null);
        assertThat(r).isEqualTo("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
    }

    /** SHA-256 without qop has no published example: check it against the RFC 2069 formula computed by hand. */
    @Test
    void sha256WithoutQopFollowsTheFormula() {
        String ha1 = Digest.ha1(DigestAlgorithm.SHA_256, "Mufasa", "http-auth@example.org", "Circle of Life");
        String ha2 = Digest.hash(DigestAlgorithm.SHA_256, "GET:/dir/index.html");
        String expected = Digest.hash(DigestAlgorithm.SHA_256, ha1 + ":nonce:" + ha2);
        assertThat(ha1).isEqualTo(io.siprelay.auth.testing.DigestClient.h("SHA-256",
                "Mufasa:http-auth@example.org:Circle of Life"));
        assertThat(Digest.response(DigestAlgorithm.SHA_256, ha1, "nonce", null, null, null, "GET",
                "/dir/index.html", null)).isEqualTo(expected).hasSize(64);
    }

    @Test
    void authIntHashesTheBody() {
        String ha1 = Digest.ha1(DigestAlgorithm.MD5, "u", "r", "p");
        String withBody = Digest.response(DigestAlgorithm.MD5, ha1, "n", "00000001", "c", "auth-int", "INVITE",
                "sip:b@r", "v=0\r\n".getBytes());
        String ha2 = Digest.hash(DigestAlgorithm.MD5, "INVITE:sip:b@r:" + Digest.hash(DigestAlgorithm.MD5, "v=0\r\n"));
        assertThat(withBody).isEqualTo(Digest.hash(DigestAlgorithm.MD5, ha1 + ":n:00000001:c:auth-int:" + ha2));
    }

    @Test
    void constantTimeComparison() {
        assertThat(Digest.constantTimeEquals("abcdef", "ABCDEF")).isTrue();
        assertThat(Digest.constantTimeEquals("abcdef", "abcdee")).isFalse();
        assertThat(Digest.constantTimeEquals("abcdef", "abcde")).isFalse();
        assertThat(Digest.constantTimeEquals(null, "a")).isFalse();
    }

    @Test
    void credentialsParser() {
        DigestCredentials c = DigestCredentials.parse("Digest username=\"a\\\"b\", realm=\"r, x\",nonce=n,"
                + " uri=\"sip:r\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"").orElseThrow();
        assertThat(c.username()).isEqualTo("a\"b");
        assertThat(c.realm()).isEqualTo("r, x");
        assertThat(c.nonce()).isEqualTo("n");
        assertThat(c.algorithmToken()).isEqualTo("SHA-256");
        assertThat(DigestCredentials.parse("Basic abc")).isEmpty();
        assertThat(DigestCredentials.parse("Digest username=\"unterminated")).isEmpty();
        assertThat(DigestCredentials.parse("Digest username=a, username=b")).isEmpty();
    }
}
