package io.siprelay.examples.interop;

import java.util.ArrayList;
import java.util.List;

/** Acceptance checks: one PASS/FAIL line each, and a final {@code N passed, M failed}. */
final class Checks {

    /** A check's body: throws (an AssertionError or anything else) when it fails. */
    interface Body {
        void run() throws Exception;
    }

    private final String title;
    private final List<String> lines = new ArrayList<>();
    private int passed;
    private int failed;

    Checks(String title) {
        this.title = title;
    }

    /** Runs a check; a failure is recorded and printed, and the next check still runs. */
    boolean check(String name, Body body) {
        try {
            body.run();
            passed++;
            print("PASS " + name);
            return true;
        } catch (Exception | AssertionError e) {
            failed++;
            String msg = String.valueOf(e.getMessage()).strip();
            int nl = msg.indexOf('\n');
            print("FAIL " + name + ": " + (nl < 0 ? msg : msg.substring(0, nl)));
            if (nl >= 0) {
                System.out.println(msg.substring(nl + 1).indent(4).stripTrailing());
            }
            return false;
        }
    }

    private void print(String line) {
        lines.add(line);
        System.out.println("[" + title + "] " + line);
    }

    int failed() {
        return failed;
    }

    String summary() {
        return passed + " passed, " + failed + " failed";
    }

    /** Prints the summary (again with every line, as a block for the log) and returns it. */
    String report() {
        StringBuilder b = new StringBuilder("==== ").append(title).append(" ====\n");
        lines.forEach(l -> b.append(l).append('\n'));
        b.append(summary());
        System.out.println(b);
        return b.toString();
    }
}
