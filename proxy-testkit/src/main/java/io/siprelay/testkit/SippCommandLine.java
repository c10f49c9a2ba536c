package io.siprelay.testkit;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The SIPp command line of one run: fixed options for 127.0.0.1 and the run's files, then the builder's settings. */
final class SippCommandLine {

    private SippCommandLine() {
    }

    /**
     * {@code sipp} with its options: {@code -m} only for {@code calls > 0}, {@code -l} only for {@code limit > 0},
     * {@code -inf} only with an injection file, then the extra arguments and last the remote host, if any.
     */
    static List<String> build(SippRunFiles files, Sipp.Transport transport, int port, int rate, Duration globalTimeout,
            Duration recvTimeout, int calls, int limit, Path injectionFile, List<String> extraArgs,
            InetSocketAddress target) {
        List<String> cmd = new ArrayList<>(List.of(
                Sipp.EXECUTABLE,
                "-sf", files.scenario().toString(),
                "-t", transport.flag,
                "-i", "127.0.0.1",
                "-p", Integer.toString(port),
                "-r", Integer.toString(rate),
                "-timeout", globalTimeout.toMillis() + "ms",
                "-timeout_error",
                "-recv_timeout", recvTimeout.toMillis() + "ms",
                "-nostdin",
                "-trace_stat", "-stf", files.stat().toString(), "-fd", "1", "-trace_counts",
                "-trace_err", "-error_file", files.errors().toString(),
                "-trace_screen", "-screen_file", files.screen().toString()));
        if (calls > 0) {
            cmd.addAll(List.of("-m", Integer.toString(calls)));
        }
        if (limit > 0) {
            cmd.addAll(List.of("-l", Integer.toString(limit)));
        }
        if (injectionFile != null) {
            cmd.addAll(List.of("-inf", injectionFile.toString()));
        }
        cmd.addAll(extraArgs);
        if (target != null) {
            cmd.add(target.getAddress().getHostAddress() + ":" + target.getPort());
        }
        return cmd;
    }
}
