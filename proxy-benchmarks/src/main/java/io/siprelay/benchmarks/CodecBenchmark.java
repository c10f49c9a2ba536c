package io.siprelay.benchmarks;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.codec.SipParseException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Parse (with validation) and encode of a typical INVITE, on one thread. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {

    private final SipCodec codec = SipCodec.create();
    private final SipMessage parsed;

    public CodecBenchmark() {
        try {
            parsed = codec.parse(Messages.INVITE);
        } catch (SipParseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What every received message pays: the key scan (the JAIN-SIP parse waits until a route asks). */
    @Benchmark
    public SipMessage parseInvite() throws SipParseException {
        return codec.parse(Messages.INVITE);
    }

    /** The key scan and the full JAIN-SIP parse with validation: what a message pays once a route reads it. */
    @Benchmark
    public Object parseInviteFully() throws SipParseException {
        return codec.parse(Messages.INVITE).message();
    }

    @Benchmark
    public byte[] encodeInvite() {
        return codec.encode(parsed.message());
    }

    @Benchmark
    public byte[] parseAndEncodeInvite() throws SipParseException {
        return codec.encode(codec.parse(Messages.INVITE).message());
    }
}
