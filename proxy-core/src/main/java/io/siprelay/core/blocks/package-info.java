/**
 * Ready-made request-initialisation blocks, the pieces of Kamailio's default {@code route[REQINIT]}: Max-Forwards
 * ({@code maxfwd}), the sanity checks the codec leaves to the route ({@code sanity}), the scanner User-Agent filter,
 * per-source flood detection ({@code pike}), "is this me" ({@code myself}) and the OPTIONS keep-alive reply.
 * Each block is a {@link io.siprelay.core.route.Route}; {@link io.siprelay.core.blocks.Reqinit#defaults} composes
 * them in the order of Kamailio's default configuration.
 */
package io.siprelay.core.blocks;
