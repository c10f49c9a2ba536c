/**
 * Media relay control: Kamailio's rtpengine module in Java.
 *
 * <p>RTPengine (Sipwise) relays and transcodes the RTP of calls; a proxy drives it over the ng control protocol,
 * bencoded dictionaries in UDP datagrams ({@link io.siprelay.media.Bencode}). {@link io.siprelay.media.RtpEngine}
 * is the client of one set of daemons ({@code rtpengine_sock}): it picks an instance per Call-ID by weight, keeps
 * every message of a call on the same one, retries and times out per Kamailio's {@code rtpengine_tout_ms} and
 * {@code rtpengine_retr}, and takes an unresponsive instance out for {@code rtpengine_disable_tout} before probing
 * it back with {@code ping}. Commands complete asynchronously, never blocking a SIP worker on the network; failures
 * are {@link io.siprelay.media.NgException}s whose kind tells a route what happened.
 *
 * <p>Route-level helpers that rewrite SDP through the daemon (offer, answer, delete) build on this client.
 */
package io.siprelay.media;
