package io.siprelay.media;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What rtpengine is asked to do with a call's media: the flags of Kamailio's {@code rtpengine_offer("...")}, typed.
 * Build them with the methods ({@code MediaFlags.builder().replaceOrigin().ice(Ice.REMOVE).rtpAvp().build()}) or
 * parse the string a Kamailio config passes ({@code MediaFlags.parse("replace-origin ICE=remove RTP/AVP")}); both
 * give the same ng dictionary entries. Immutable.
 */
public final class MediaFlags {

    /** ICE handling ({@code ICE=...}). */
    public enum Ice { REMOVE, FORCE, FORCE_RELAY, DEFAULT;
        String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** DTLS role toward this side ({@code DTLS=...}). */
    public enum Dtls { OFF, PASSIVE, ACTIVE;
        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** No flags: rtpengine's defaults. */
    public static final MediaFlags NONE = builder().build();

    private static final List<String> LIST_PREFIXES = List.of("replace-", "rtcp-mux-", "SDES-");
    private static final Map<String, String> LIST_KEYS = Map.of("replace-", "replace", "rtcp-mux-", "rtcp-mux",
            "SDES-", "SDES");

    private final Map<String, Object> entries;
    private final String text;

    private MediaFlags(Map<String, Object> entries, String text) {
        this.entries = entries;
        this.text = text;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses Kamailio's rtpengine flag string: words separated by spaces. {@code replace-X}, {@code rtcp-mux-X} and
     * {@code SDES-X} go to those lists, {@code direction=X} to the direction list, a transport such as
     * {@code RTP/AVP} or {@code UDP/TLS/RTP/SAVPF} to {@code transport-protocol}, {@code key=value} to that key, a
     * bare word ({@code trust-address}, {@code SIP-source-address}, ...) to {@code flags}.
     *
     * @throws IllegalArgumentException for a word with an empty key or value, or a control character
     */
    public static MediaFlags parse(String flags) {
        Objects.requireNonNull(flags, "flags");
        Builder b = builder();
        for (String word : flags.trim().split("\\s+")) {
            if (!word.isEmpty()) {
                b.word(word);
            }
        }
        return b.build();
    }

    /** These flags followed by {@code more} (a later word wins for a single-valued key, lists add up). */
    public MediaFlags and(MediaFlags more) {
        return parse(text + " " + more.text);
    }

    /** Adds these flags to an ng command dictionary (lists are appended to what is already there). */
    void addTo(Map<String, Object> command) {
        for (Map.Entry<String, Object> e : entries.entrySet()) {
            if (e.getValue() instanceof List<?> list) {
                Object existing = command.get(e.getKey());
                List<Object> merged = new ArrayList<>();
                if (existing instanceof List<?> old) {
                    merged.addAll(old);
                }
                merged.addAll(list);
                command.put(e.getKey(), merged);
            } else {
                command.put(e.getKey(), e.getValue());
            }
        }
    }

    /** The ng dictionary entries these flags stand for. */
    public Map<String, Object> entries() {
        return entries;
    }

    /** True when the bare flag (e.g. {@code trust-address}) is set. */
    public boolean has(String flag) {
        return entries.get("flags") instanceof List<?> l && l.contains(flag);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MediaFlags f && f.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    /** The flags in Kamailio's string form. */
    @Override
    public String toString() {
        return text;
    }

    /** Builds {@link MediaFlags}. */
    public static final class Builder {
        private final Map<String, Object> entries = new LinkedHashMap<>();
        private final List<String> words = new ArrayList<>();

        private Builder() {
        }

        /** {@code replace-origin}: rtpengine's address in the o= line too. */
        public Builder replaceOrigin() {
            return word("replace-origin");
        }

        /** {@code replace-session-connection}: rtpengine's address in the session-level c= line too. */
        public Builder replaceSessionConnection() {
            return word("replace-session-connection");
        }

        /** {@code trust-address}: use the SDP's address as the peer's media address, not the SIP source. */
        public Builder trustAddress() {
            return word("trust-address");
        }

        /** {@code SIP-source-address}: send media to where the SIP message came from (the NAT fix). */
        public Builder sipSourceAddress() {
            return word("SIP-source-address");
        }

        /** {@code ICE=...}. */
        public Builder ice(Ice ice) {
            return word("ICE=" + ice.wire());
        }

        /** {@code DTLS=...}. */
        public Builder dtls(Dtls dtls) {
            return word("DTLS=" + dtls.wire());
        }

        /** {@code RTP/AVP}: plain RTP toward this side (a desk phone). */
        public Builder rtpAvp() {
            return word("RTP/AVP");
        }

        /** {@code RTP/SAVPF}: SRTP with feedback toward this side (what WebRTC needs, with ICE and DTLS). */
        public Builder rtpSavpf() {
            return word("RTP/SAVPF");
        }

        /** A transport protocol such as {@code RTP/AVPF} or {@code UDP/TLS/RTP/SAVPF}. */
        public Builder transport(String protocol) {
            if (!protocol.startsWith("RTP/") && !protocol.startsWith("UDP/")) {
                throw new IllegalArgumentException("a transport protocol starts with RTP/ or UDP/, got " + protocol);
            }
            return word(protocol);
        }

        /** {@code direction=from direction=to}: the interfaces media comes in on and goes out on. */
        public Builder direction(String from, String to) {
            return word("direction=" + from).word("direction=" + to);
        }

        /** {@code record-call=yes}: rtpengine records the call's media. */
        public Builder recordCall() {
            return word("record-call=yes");
        }

        /** Any word of Kamailio's flag string: a bare flag or {@code key=value}. */
        public Builder raw(String word) {
            return word(word);
        }

        Builder word(String word) {
            for (int i = 0; i < word.length(); i++) {
                char c = word.charAt(i);
                if (c <= ' ' || c == 0x7f) {
                    throw new IllegalArgumentException("a media flag may not contain spaces or control characters: "
                            + word.replaceAll("\\p{Cntrl}", "?"));
                }
            }
            words.add(word);
            int eq = word.indexOf('=');
            if (eq >= 0) {
                String key = word.substring(0, eq);
                String value = word.substring(eq + 1);
                if (key.isEmpty() || value.isEmpty()) {
                    throw new IllegalArgumentException("a media flag key=value needs both, got " + word);
                }
                switch (key) {
                    case "direction" -> appendTo("direction", value);
                    case "record-call" -> entries.put("record call", value);
                    default -> entries.put(key, value);
                }
                return this;
            }
            if (word.startsWith("RTP/") || word.startsWith("UDP/")) {
                entries.put("transport-protocol", word);
                return this;
            }
            for (String prefix : LIST_PREFIXES) {
                if (word.startsWith(prefix) && word.length() > prefix.length()) {
                    appendTo(LIST_KEYS.get(prefix), word.substring(prefix.length()));
                    return this;
                }
            }
            appendTo("flags", word);
            return this;
        }

        private void appendTo(String key, String value) {
            @SuppressWarnings("unchecked")
            List<String> list = (List<String>) entries.computeIfAbsent(key, k -> new ArrayList<String>());
            if (!list.contains(value)) {
                list.add(value);
            }
        }

        public MediaFlags build() {
            Map<String, Object> copy = new LinkedHashMap<>();
            entries.forEach((k, v) -> copy.put(k, v instanceof List<?> l ? List.copyOf(l) : v));
            return new MediaFlags(Collections.unmodifiableMap(copy), String.join(" ", words));
        }
    }
}
