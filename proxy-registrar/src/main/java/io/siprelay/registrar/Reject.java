package io.siprelay.registrar;

import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Step;
import java.util.ArrayList;
import java.util.List;

/** An error reply, thrown from deep inside save to abort without a change. */
final class Reject extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String reason;
    final String detail;
    final int retryAfter;
    final int minExpires;

    Reject(int status, String reason, String detail) {
        this(status, reason, detail, 0, 0);
    }

    Reject(int status, String reason, String detail, int retryAfter) {
        this(status, reason, detail, retryAfter, 0);
    }

    Reject(int status, String reason, String detail, int retryAfter, int minExpires) {
        super(status + " " + reason + (detail == null ? "" : ": " + detail), null, false, false);
        this.status = status;
        this.reason = reason;
        this.detail = detail;
        this.retryAfter = retryAfter;
        this.minExpires = minExpires;
    }

    Step.Done send(RequestContext ctx) {
        List<String> lines = new ArrayList<>(3);
        if (detail != null) {
            lines.add("P-Registrar-Error: " + detail);
        }
        if (minExpires > 0) {
            lines.add("Min-Expires: " + minExpires);
        }
        if (retryAfter > 0) {
            lines.add("Retry-After: " + retryAfter);
        }
        return ctx.reply(status, reason, lines);
    }
}
