package io.siprelay.examples.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code siprelayctl stats [NAME...]}: counters of the running PBX (kamcmd stats.get_statistics all). */
@Command(name = "stats", description = "Statistics of the running PBX (stats.get; kamcmd stats.get_statistics all).")
final class StatsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "NAME", description = "Only these groups or counters (passed as params).")
    List<String> names = List.of();

    @Override
    public void run() {
        JsonNode r = SiprelayCtl.root(spec).rpc().call("stats.get", names == null ? List.of() : names);
        SiprelayCtl.output(spec).printGeneric(r);
    }
}
