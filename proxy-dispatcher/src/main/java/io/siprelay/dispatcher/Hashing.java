package io.siprelay.dispatcher;

import java.nio.charset.StandardCharsets;

/** 64-bit hashing for rendezvous (highest random weight) selection. */
final class Hashing {

    private Hashing() {
    }

    /** FNV-1a over UTF-8, finished with a 64-bit mixer. */
    static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** Murmur3's fmix64. */
    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** Score of a destination for a key: the destination with the highest score wins. */
    static long score(long keyHash, long destinationSeed) {
        return mix(keyHash ^ (destinationSeed * 0x9e3779b97f4a7c15L));
    }
}
