package io.siprelay.dispatcher;

import java.util.concurrent.CompletableFuture;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * Sends a probe and completes with its final response. {@code SipProxy::sendRequest} is one; tests may pass a fake.
 */
@FunctionalInterface
public interface ProbeSender {
    CompletableFuture<Response> send(Request request, String destination);
}
