package io.siprelay.examples.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code siprelayctl ul dump|lookup|rm}: registrations in the running PBX (kamcmd ul.*). */
@Command(name = "ul", description = "Registrations of the running PBX (kamcmd ul.dump, ul.lookup, ul.rm).",
        subcommands = {UlCommand.Dump.class, UlCommand.Lookup.class, UlCommand.Remove.class})
final class UlCommand {

    private static final List<String> CONTACT_HEADERS =
            List.of("AOR", "CONTACT", "EXPIRES", "Q", "RECEIVED", "USER-AGENT", "LAST-MODIFIED");

    private static List<String> contactRow(String aor, JsonNode c) {
        long lm = c.path("Last-Modified").asLong(0);
        return List.of(aor, c.path("Address").asText(), c.path("Expires").asText(), c.path("Q").asText(),
                notSet(c.path("Received").asText("")), notSet(c.path("User-Agent").asText("")),
                lm > 0 ? Instant.ofEpochSecond(lm).toString() : "");
    }

    private static String notSet(String s) {
        return s.equals("[not set]") ? "" : s;
    }

    private static void addContacts(List<List<String>> rows, JsonNode aor) {
        String name = aor.path("AoR").asText();
        JsonNode contacts = aor.path("Contacts");
        if (contacts.isMissingNode() || contacts.isEmpty()) {
            rows.add(List.of(name, "", "", "", "", "", ""));
            return;
        }
        for (JsonNode ce : contacts) {
            rows.add(contactRow(name, ce.has("Contact") ? ce.get("Contact") : ce));
        }
    }

    @Command(name = "dump", description = "All registrations (kamcmd ul.dump; --brief: AoRs only).")
    static final class Dump implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = {"-b", "--brief"}, description = "Only the AoRs (ul.dump brief).")
        boolean brief;

        @Override
        public void run() {
            JsonNode r = SiprelayCtl.root(spec).rpc().call("ul.dump", brief ? List.of("brief") : List.of());
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            int aors = 0;
            for (JsonNode de : r.path("Domains")) {
                for (JsonNode ae : de.path("Domain").path("AoRs")) {
                    JsonNode info = ae.has("Info") ? ae.get("Info") : ae;
                    aors++;
                    if (brief) {
                        rows.add(List.of(info.path("AoR").asText()));
                    } else {
                        addContacts(rows, info);
                    }
                }
            }
            out.table(brief ? List.of("AOR") : CONTACT_HEADERS, rows);
            out.line(aors + (aors == 1 ? " AoR" : " AoRs") + (brief ? "" : ", " + rows.size()
                    + (rows.size() == 1 ? " contact" : " contacts")));
        }
    }

    @Command(name = "lookup", description = "The contacts of one AoR (kamcmd ul.lookup location 1001@example.com).")
    static final class Lookup implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "AOR", description = "e.g. 1001@example.com (or 1001 without "
                + "use_domain).")
        String aor;

        @Override
        public void run() {
            if (aor.isBlank()) {
                throw CtlException.usage("the AoR is empty");
            }
            JsonNode r = SiprelayCtl.root(spec).rpc().call("ul.lookup", List.of(aor.trim()));
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            addContacts(rows, r);
            out.table(CONTACT_HEADERS, rows);
        }
    }

    @Command(name = "rm", description = "Removes an AoR's registrations (kamcmd ul.rm location 1001@example.com).")
    static final class Remove implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "AOR")
        String aor;

        @Override
        public void run() {
            if (aor.isBlank()) {
                throw CtlException.usage("the AoR is empty");
            }
            JsonNode r = SiprelayCtl.root(spec).rpc().call("ul.rm", List.of(aor.trim()));
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
            } else {
                out.line("removed " + aor.trim() + RpcClient.summary(r));
            }
        }
    }
}
