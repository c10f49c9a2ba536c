package io.siprelay.examples.ctl;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code siprelayctl rpc METHOD [PARAM...]}: any JSON-RPC method, like {@code kamcmd METHOD PARAM...}. */
@Command(name = "rpc", description = {"Calls any management method with positional params, like kamcmd.",
        "Integer params are sent as numbers, the others as strings. Example: siprelayctl rpc dispatcher.list"})
final class RpcCommand implements Runnable {

    private static final Pattern INTEGER = Pattern.compile("-?\\d{1,18}");

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "METHOD")
    String method;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PARAM")
    List<String> params = List.of();

    static List<Object> convert(List<String> params) {
        List<Object> out = new ArrayList<>();
        for (String p : params) {
            out.add(INTEGER.matcher(p).matches() ? (Object) Long.parseLong(p) : p);
        }
        return out;
    }

    @Override
    public void run() {
        if (method.isBlank()) {
            throw CtlException.usage("the method is empty");
        }
        SiprelayCtl.output(spec).printGeneric(SiprelayCtl.root(spec).rpc()
                .call(method.trim(), convert(params == null ? List.of() : params)));
    }
}
