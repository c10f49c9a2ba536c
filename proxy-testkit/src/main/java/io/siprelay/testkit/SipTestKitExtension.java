package io.siprelay.testkit;

import io.siprelay.testkit.SipTestKit;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test method a fresh {@link SipTestKit} parameter and closes it afterwards.
 *
 * <pre>{@code
 * @ExtendWith(SipTestKitExtension.class)
 * class MyRoutesTest {
 *     @Test void answers501(SipTestKit kit) { ... }
 * }
 * }</pre>
 */
public final class SipTestKitExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SipTestKitExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == SipTestKit.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // stored per test so JUnit closes it (CloseableResource) when the test ends
        return context.getStore(NS).getOrComputeIfAbsent("kit", k -> new ClosingKit(SipTestKit.create()),
                ClosingKit.class).kit;
    }

    private record ClosingKit(SipTestKit kit) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            kit.close();
        }
    }
}
