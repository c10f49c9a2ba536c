package io.siprelay.registrar.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryLocationStoreTest extends LocationStoreContract {

    @Override
    protected LocationStore open() {
        return new MemoryLocationStore(clock);
    }

    @Test
    void anAorLeavesTheCacheWhenItsLastBindingExpires() {
        MemoryLocationStore mem = new MemoryLocationStore(clock);
        store = mem;
        for (int i = 0; i < 100; i++) {
            Binding b = binding("x" + i, "u" + i, "sip:u@192.0.2.1", clock.wallMillis() + 60_000 + i * 1000L, 1f);
            mem.update(b.aor(), clock.wallMillis(), cur -> List.of(b));
        }
        clock.advance(Duration.ofSeconds(110));
        mem.purgeExpired(clock.wallMillis());
        assertThat(mem.aorCount()).isEqualTo(49);
    }
}
