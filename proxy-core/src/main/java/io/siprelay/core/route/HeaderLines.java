package io.siprelay.core.route;

import java.text.ParseException;
import java.util.List;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Message;

/** Extra reply header lines ({@code "Name: value"}) checked against header injection, joined, and parsed back. */
final class HeaderLines {

    private HeaderLines() {
    }

    /** The lines checked and joined, each ended by CRLF. */
    static String join(List<String> headerLines) {
        StringBuilder b = new StringBuilder(64 * headerLines.size());
        for (String line : headerLines) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("a header line must be \"Name: value\", got: " + line);
            }
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    throw new IllegalArgumentException("a header line must not hold CR, LF or NUL: " + line);
                }
                if (i < colon && !isTokenChar(c) && !(c == ' ' && line.substring(i, colon).isBlank())) {
                    throw new IllegalArgumentException("not a header name: " + line.substring(0, colon));
                }
            }
            b.append(line).append("\r\n");
        }
        return b.toString();
    }

    /** Adds joined {@code "Name: value\r\n"} lines to a JAIN-SIP message. */
    static void addTo(Message m, String lines, HeaderFactory headerFactory) {
        int s = 0;
        while (s < lines.length()) {
            int e = lines.indexOf("\r\n", s);
            String line = lines.substring(s, e);
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            try {
                m.addHeader(headerFactory.createHeader(name, value));
            } catch (ParseException ex) {
                throw new IllegalArgumentException("not a valid " + name + " header: " + value, ex);
            }
            s = e + 2;
        }
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-.!%*_+`'~".indexOf(c) >= 0;
    }
}
