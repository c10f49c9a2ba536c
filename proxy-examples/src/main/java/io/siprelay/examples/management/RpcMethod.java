package io.siprelay.examples.management;

/** One JSON-RPC method: positional parameters in, a Jackson-serialisable result out. */
@FunctionalInterface
public interface RpcMethod {

    Object call(RpcParams params) throws RpcException;
}
