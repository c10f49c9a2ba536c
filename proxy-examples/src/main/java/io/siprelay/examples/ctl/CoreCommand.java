package io.siprelay.examples.ctl;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code siprelayctl core version}: the running PBX's version (kamcmd core.version). */
@Command(name = "core", description = "Core information of the running PBX.", subcommands = CoreCommand.Version.class)
final class CoreCommand {

    @Command(name = "version", description = "The running PBX's version (kamcmd core.version).")
    static final class Version implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            SiprelayCtl.output(spec).printGeneric(SiprelayCtl.root(spec).rpc().call("core.version", List.of()));
        }
    }
}
