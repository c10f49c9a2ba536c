package io.siprelay.examples.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code siprelayctl rtpengine ...}: the running PBX's media relay instances (kamcmd rtpengine.*). */
@Command(name = "rtpengine", description = {"The media relay's rtpengine instances in the running PBX "
        + "(kamcmd rtpengine.*)."},
        subcommands = {RtpEngineCommand.Show.class, RtpEngineCommand.Enable.class, RtpEngineCommand.Reload.class,
                RtpEngineCommand.Ping.class})
final class RtpEngineCommand {

    private static JsonNode call(CommandSpec spec, String method, List<?> params) {
        return SiprelayCtl.root(spec).rpc().call(method, params);
    }

    /** URL, answered and state columns of a ping or reload result. */
    private static List<List<String>> answerRows(JsonNode instances, boolean withState) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode i : instances) {
            List<String> r = new ArrayList<>(List.of(i.path("url").asText(),
                    i.path("answered").asBoolean() ? "yes" : "no"));
            if (withState) {
                r.add(state(i));
            }
            rows.add(r);
        }
        return rows;
    }

    private static String state(JsonNode i) {
        if (i.path("disabled_by_operator").asBoolean()) {
            return "disabled (operator)";
        }
        return i.path("enabled").asBoolean() ? "enabled" : "disabled (timeout)";
    }

    @Command(name = "show", description = "Instances, their state and counters, and the relay's counters "
            + "(kamcmd rtpengine.show all).")
    static final class Show implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "URL", description = "Only this instance.")
        String url;

        @Override
        public void run() {
            JsonNode r = call(spec, "rtpengine.show", url == null ? List.of() : List.of(url));
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode i : r.path("instances")) {
                rows.add(List.of(i.path("url").asText(), i.path("weight").asText(), state(i),
                        i.path("requests").asText(), i.path("timeouts").asText(), i.path("errors").asText()));
            }
            out.table(List.of("URL", "WEIGHT", "STATE", "REQUESTS", "TIMEOUTS", "ERRORS"), rows);
            List<String> relay = new ArrayList<>();
            r.path("relay").fields().forEachRemaining(e -> relay.add(e.getKey() + " " + e.getValue().asText()));
            out.line("relay: " + String.join(", ", relay));
        }
    }

    @Command(name = "enable", description = {"Takes an instance out of use (0) or back in (1) "
            + "(kamcmd rtpengine.enable udp:127.0.0.1:2223 0).", "A disabled instance is not probed."})
    static final class Enable implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "URL", description = "The instance, e.g. udp:127.0.0.1:2223, or 'all'.")
        String url;

        @Parameters(index = "1", paramLabel = "0|1")
        String state;

        @Override
        public void run() {
            if (!state.equals("0") && !state.equals("1")) {
                throw CtlException.usage("the state must be 0 (disable) or 1 (enable), got '" + state + "'");
            }
            JsonNode r = call(spec, "rtpengine.enable", List.of(url, Integer.parseInt(state)));
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
                return;
            }
            for (JsonNode i : r.path("instances")) {
                out.line(i.path("url").asText() + ": " + state(i));
            }
        }
    }

    @Command(name = "reload", description = {"Probes every instance with ping (there is no rtpengine table: the "
            + "instances are the PBX's --rtpengine).", "An instance out of use after a timeout that answers is back "
            + "in use; one disabled by an operator stays out."})
    static final class Reload implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            JsonNode r = call(spec, "rtpengine.reload", List.of());
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
                return;
            }
            out.table(List.of("URL", "ANSWERED", "STATE"), answerRows(r.path("instances"), true));
            out.line(r.path("answered").asInt() + " of " + r.path("instances").size() + " answered, "
                    + r.path("reenabled").asInt() + " back in use");
        }
    }

    @Command(name = "ping", description = "Sends ping to one instance or all (kamcmd rtpengine.ping all).")
    static final class Ping implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "URL", description = "The instance (default: all).")
        String url;

        @Override
        public void run() {
            JsonNode r = call(spec, "rtpengine.ping", List.of(url == null ? "all" : url));
            Output out = SiprelayCtl.output(spec);
            if (out.json()) {
                out.printJson(r);
                return;
            }
            out.table(List.of("URL", "ANSWERED"), answerRows(r.path("instances"), false));
            out.line(r.path("answered").asInt() + " of " + r.path("instances").size() + " answered");
        }
    }
}
