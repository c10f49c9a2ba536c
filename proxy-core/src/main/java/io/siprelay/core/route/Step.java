package io.siprelay.core.route;

/**
 * What a route returns: {@link #next()} to go on with the next block, or a {@link Done} that ends processing of the
 * request from any depth of nested blocks (Kamailio's {@code exit}). Only the terminal actions of
 * {@link RequestContext} ({@code reply}, {@code forward}, {@code relay}, {@code drop}, {@code exit}, {@code suspend}) create a {@code Done}, so a
 * block cannot claim to have handled a request it did not handle, and the compiler insists that every path through a
 * block says which it is.
 */
public sealed interface Step permits Step.Next, Step.Done {

    /** Go on: this block did not finish the request. */
    static Step next() {
        return Next.INSTANCE;
    }

    boolean isDone();

    /** Continue with the next block. */
    final class Next implements Step {
        static final Next INSTANCE = new Next();

        private Next() {
        }

        @Override
        public boolean isDone() {
            return false;
        }

        @Override
        public String toString() {
            return "Next";
        }
    }

    /** The request is finished; nothing after this runs. */
    final class Done implements Step {
        private final Outcome outcome;

        Done(Outcome outcome) {
            this.outcome = outcome;
        }

        public Outcome outcome() {
            return outcome;
        }

        @Override
        public boolean isDone() {
            return true;
        }

        @Override
        public String toString() {
            return "Done(" + outcome + ")";
        }
    }

    /** How a request was finished. */
    enum Outcome {
        /** answered by the proxy ({@code sl_send_reply}) */
        REPLIED,
        /** sent on statelessly ({@code forward}) */
        FORWARDED,
        /** relayed transaction-statefully ({@code t_relay}) */
        RELAYED,
        /** dropped on purpose ({@code drop}) */
        DROPPED,
        /** processing ended without an action ({@code exit}): the request is consumed */
        EXITED,
        /**
         * waiting for work off the lane ({@link RequestContext#suspend}); a {@link Continuation} finishes the request
         */
        SUSPENDED
    }
}
