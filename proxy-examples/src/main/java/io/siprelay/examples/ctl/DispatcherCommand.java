package io.siprelay.examples.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.dispatcher.JdbiDispatcherSource;
import io.siprelay.dispatcher.Attrs;
import io.siprelay.dispatcher.DispatcherEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code siprelayctl dispatcher ...}: the dispatcher table (kamctl dispatcher) and the PBX's sets (kamcmd). */
@Command(name = "dispatcher", description = {"Dispatcher destinations (kamctl dispatcher, kamcmd dispatcher.*).",
        "add, rm and show work on the database; list, set-state and reload talk to the running PBX."},
        subcommands = {DispatcherCommand.Add.class, DispatcherCommand.Remove.class, DispatcherCommand.Show.class,
                DispatcherCommand.ListSets.class, DispatcherCommand.SetState.class, DispatcherCommand.Reload.class})
final class DispatcherCommand {

    /** Kamailio's set_state argument: a(ctive), i(nactive), d(isabled), t(rying), then p(robing) or x. */
    private static final Pattern STATE = Pattern.compile("[aidtAIDT][pxPX]?");

    /** The destination, checked like the dispatcher checks it on reload (minus DNS, which the PBX does). */
    static String destination(String arg) {
        String d = arg.trim();
        if (d.isEmpty() || d.chars().anyMatch(Character::isWhitespace)) {
            throw CtlException.usage("invalid SIP URI '" + arg + "'");
        }
        if (d.length() > 192) {
            throw CtlException.usage("the destination is longer than 192 characters");
        }
        URI u;
        try {
            u = SipCodec.create().addressFactory().createURI(d);
        } catch (Exception e) {
            throw CtlException.usage("invalid SIP URI '" + arg + "': " + CtlException.rootMessage(e));
        }
        if (!(u instanceof SipURI s) || s.getHost() == null || s.getHost().isEmpty()) {
            throw CtlException.usage("invalid SIP URI '" + arg + "': expected sip:HOST[:PORT] or sips:HOST[:PORT]");
        }
        return d;
    }

    static Map<String, Object> json(DispatcherEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (e.id() > 0) {
            m.put("id", e.id());
        }
        m.put("setid", e.setId());
        m.put("destination", e.destination());
        m.put("flags", e.flags());
        m.put("priority", e.priority());
        m.put("attrs", e.attrs().body());
        m.put("description", e.description());
        return m;
    }

    @Command(name = "add", description = {
            "Adds a destination (kamctl dispatcher add 1 sip:mg1:5060 0 0 '' 'Media Gateway 1').",
            "FLAGS: 1 inactive, 2 trying, 4 disabled, 8 probing, 16 no DNS, 32 no ping (default 0).",
            "ATTRS: key=value;... e.g. weight=50;duid=gw1. The running PBX applies it after "
                    + "'siprelayctl dispatcher reload'."})
    static final class Add implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SETID", description = "Destination set.")
        int setId;

        @Parameters(index = "1", paramLabel = "URI", description = "SIP URI, e.g. sip:10.0.0.1:5060.")
        String uri;

        @Parameters(index = "2", arity = "0..1", paramLabel = "FLAGS", defaultValue = "0")
        int flags;

        @Parameters(index = "3", arity = "0..1", paramLabel = "PRIORITY", defaultValue = "0",
                description = "Higher first.")
        int priority;

        @Parameters(index = "4", arity = "0..1", paramLabel = "ATTRS", defaultValue = "")
        String attrs;

        @Parameters(index = "5", arity = "0..1", paramLabel = "DESCRIPTION", defaultValue = "")
        String description;

        @Override
        public void run() {
            if (setId < 0) {
                throw CtlException.usage("the set id must be 0 or more, got " + setId);
            }
            String dest = destination(uri);
            if (flags < 0 || flags > 63) {
                throw CtlException.usage("flags must be 0..63 (1 inactive, 2 trying, 4 disabled, 8 probing, "
                        + "16 no DNS, 32 no ping), got " + flags);
            }
            Attrs a;
            try {
                a = Attrs.parse(attrs);
            } catch (IllegalArgumentException e) {
                throw CtlException.usage("invalid attrs '" + attrs + "': " + e.getMessage());
            }
            if (a.body().length() > 198) {
                throw CtlException.usage("attrs are longer than 198 characters");
            }
            if (description.length() > 64) {
                throw CtlException.usage("the description is longer than 64 characters");
            }
            DispatcherEntry stored;
            try (CtlDatabase.Opened<JdbiDispatcherSource> t = SiprelayCtl.root(spec).database().dispatcher()) {
                for (DispatcherEntry old : t.tables().load()) {
                    if (old.setId() == setId && old.destination().equals(dest)) {
                        throw CtlException.usage("set " + setId + " already has destination " + dest
                                + " (id " + old.id() + ")");
                    }
                }
                stored = t.tables().insert(new DispatcherEntry(0, setId, dest, flags, priority, a, description));
            }
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("action", "added");
                m.putAll(json(stored));
                out.printJson(m);
            } else {
                out.line("added " + stored.label());
                out.line("the running PBX applies it after 'siprelayctl dispatcher reload'");
            }
        }
    }

    @Command(name = "rm", description = "Removes a destination from a set (kamctl dispatcher rm).")
    static final class Remove implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SETID")
        int setId;

        @Parameters(index = "1", paramLabel = "URI")
        String uri;

        @Override
        public void run() {
            CtlDatabase database = SiprelayCtl.root(spec).database();
            database.requireExisting();
            int n;
            try (CtlDatabase.Opened<JdbiDispatcherSource> t = database.dispatcher()) {
                n = t.tables().delete(setId, uri.trim());
            }
            if (n == 0) {
                throw CtlException.usage("set " + setId + " has no destination " + uri.trim());
            }
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("action", "removed");
                m.put("setid", setId);
                m.put("destination", uri.trim());
                m.put("rows", n);
                out.printJson(m);
            } else {
                out.line("removed set " + setId + " destination " + uri.trim());
                out.line("the running PBX applies it after 'siprelayctl dispatcher reload'");
            }
        }
    }

    @Command(name = "show", description = "Shows the dispatcher table as stored (kamctl dispatcher show).")
    static final class Show implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = {"-s", "--set"}, paramLabel = "SETID", description = "Only this set.")
        Integer set;

        @Override
        public void run() {
            CtlDatabase database = SiprelayCtl.root(spec).database();
            database.requireExisting();
            List<DispatcherEntry> entries;
            try (CtlDatabase.Opened<JdbiDispatcherSource> t = database.dispatcher()) {
                entries = t.tables().load().stream().filter(e -> set == null || e.setId() == set).toList();
            }
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(entries.stream().map(DispatcherCommand::json).toList());
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (DispatcherEntry e : entries) {
                rows.add(List.of(String.valueOf(e.id()), String.valueOf(e.setId()), e.destination(),
                        String.valueOf(e.flags()), String.valueOf(e.priority()), e.attrs().body(), e.description()));
            }
            out.table(List.of("ID", "SETID", "DESTINATION", "FLAGS", "PRIORITY", "ATTRS", "DESCRIPTION"), rows);
            out.line(entries.size() + (entries.size() == 1 ? " destination" : " destinations"));
        }
    }

    @Command(name = "list", description = "Sets and destination states of the running PBX (kamcmd dispatcher.list).")
    static final class ListSets implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            JsonNode r = SiprelayCtl.root(spec).rpc().call("dispatcher.list", List.of());
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode rec : r.path("RECORDS")) {
                JsonNode set = rec.path("SET");
                for (JsonNode t : set.path("TARGETS")) {
                    JsonNode d = t.path("DEST");
                    JsonNode lat = d.path("LATENCY");
                    rows.add(List.of(set.path("ID").asText(), d.path("URI").asText(), d.path("FLAGS").asText(),
                            d.path("PRIORITY").asText(), d.path("ATTRS").path("BODY").asText(""),
                            lat.isMissingNode() ? "" : lat.path("AVG").asText(),
                            lat.isMissingNode() ? "" : lat.path("TIMEOUT").asText(),
                            d.path("RUNTIME").path("DLGLOAD").asText("")));
                }
            }
            out.table(List.of("SET", "URI", "FLAGS", "PRIORITY", "ATTRS", "AVG_MS", "TIMEOUTS", "CALLS"), rows);
            out.line(r.path("NRSETS").asInt(0) + " sets, " + rows.size() + " destinations");
        }
    }

    @Command(name = "set-state", description = {
            "Sets a destination's state in the running PBX (kamcmd dispatcher.set_state dx 1 sip:mg1:5060).",
            "STATE: a active, i inactive, d disabled, t trying; a second letter p = probing, x = not."})
    static final class SetState implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "STATE")
        String state;

        @Parameters(index = "1", paramLabel = "SETID")
        int setId;

        @Parameters(index = "2", paramLabel = "URI", description = "The destination, or 'all'.")
        String uri;

        @Override
        public void run() {
            if (!STATE.matcher(state).matches()) {
                throw CtlException.usage("invalid state '" + state + "': a, i, d or t (active, inactive, disabled, "
                        + "trying), optionally followed by p (probing) or x, e.g. ap, ip, dx");
            }
            String dest = uri.equalsIgnoreCase("all") ? "all" : destination(uri);
            JsonNode r = SiprelayCtl.root(spec).rpc().call("dispatcher.set_state",
                    List.of(state.toLowerCase(Locale.ROOT), setId, dest));
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
            } else {
                out.line("set " + setId + " " + dest + ": state " + state.toLowerCase(Locale.ROOT)
                        + RpcClient.summary(r));
            }
        }
    }

    @Command(name = "reload", description = "Makes the running PBX read the dispatcher table again "
            + "(kamcmd dispatcher.reload); a refused reload keeps the old sets.")
    static final class Reload implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            JsonNode r = SiprelayCtl.root(spec).rpc().call("dispatcher.reload", List.of());
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
            } else {
                out.line("dispatcher reloaded" + RpcClient.summary(r));
            }
        }
    }
}
