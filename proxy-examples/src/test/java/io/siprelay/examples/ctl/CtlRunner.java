package io.siprelay.examples.ctl;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs siprelayctl in-process through the picocli API and captures what it prints. */
final class CtlRunner {

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private CtlRunner() {
    }

    static Result run(String stdin, String... args) {
        SiprelayCtl ctl = new SiprelayCtl().stdin(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        CommandLine cl = SiprelayCtl.commandLine(ctl);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
