package io.siprelay.core.concurrent;

/**
 * Runs each task at once on the caller's thread. Used with the in-memory network and the virtual clock, where one
 * test thread drives everything and ordering is therefore deterministic. Never refuses.
 */
public final class InlineExecutor implements KeyedExecutor {

    @Override
    public boolean execute(String key, Admission admission, Runnable task) {
        task.run();
        return true;
    }

    @Override
    public long rejected() {
        return 0;
    }

    @Override
    public void close() {
    }
}
