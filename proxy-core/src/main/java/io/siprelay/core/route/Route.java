package io.siprelay.core.route;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * A routing block: Kamailio's {@code request_route} or a named {@code route[NAME]}, as a Java function. Blocks
 * compose with {@link #seq}, which stops at the first block that returns a {@link Step.Done}; a block can also run
 * another with {@link RequestContext#route} and decide whether to go on.
 */
@FunctionalInterface
public interface Route {

    Step handle(RequestContext ctx);

    /** The name used in logs ("request fell off the end of route X"). */
    default String name() {
        return "anonymous route";
    }

    /** Gives a block a name, like Kamailio's {@code route[NAME]}. */
    static Route named(String name, Route body) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
        return new Route() {
            @Override
            public Step handle(RequestContext ctx) {
                return body.handle(ctx);
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String toString() {
                return "route[" + name + "]";
            }
        };
    }

    /** Runs the blocks in order; the first {@code Done} ends the sequence and is returned. */
    static Route seq(Route... blocks) {
        Route[] copy = blocks.clone();
        for (Route r : copy) {
            Objects.requireNonNull(r, "null block in Route.seq");
        }
        return ctx -> {
            for (Route r : copy) {
                Step s = ctx.route(r);
                if (s.isDone()) {
                    return s;
                }
            }
            return Step.next();
        };
    }

    /** Runs {@code then} only when {@code condition} holds; otherwise goes on. */
    static Route when(Predicate<RequestContext> condition, Route then) {
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(then, "then");
        return ctx -> condition.test(ctx) ? ctx.route(then) : Step.next();
    }
}
