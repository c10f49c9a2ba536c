package io.siprelay.registrar;

import java.util.List;

/** Everything save needs from the REGISTER, validated before the store is touched. */
record SaveRequest(String aor, String callId, long cseq, boolean wildcard, List<ContactSpec> contacts,
                   String path, String userAgent, String socket, Integer methods) {
}
