package io.siprelay.registrar;

/** One validated Contact of a REGISTER: its URI, expiry, q, outbound instance and reg-id, methods and NAT state. */
record ContactSpec(String uri, int expires, float q, String instance, int regId, Integer methods,
                   String received, boolean nated) {
}
