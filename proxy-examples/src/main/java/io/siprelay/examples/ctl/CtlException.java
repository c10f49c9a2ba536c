package io.siprelay.examples.ctl;

/** A failure reported as one line on standard error with {@link #exitCode()}; never printed with a stack trace. */
final class CtlException extends RuntimeException {

    private final int exitCode;

    CtlException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CtlException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }

    static CtlException usage(String message) {
        return new CtlException(SiprelayCtl.EXIT_USAGE, message);
    }

    /** The deepest cause's message, first line only (H2 appends the SQL on further lines). */
    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        String m = c.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getMessage() != null ? t.getMessage() : c.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).trim();
    }
}
