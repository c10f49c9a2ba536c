package io.siprelay.auth;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A subscriber store in a map: for tests and for proxies whose users come from code or a file. */
public final class InMemorySubscriberStore implements SubscriberStore {

    private final Map<String, Subscriber> byKey = new ConcurrentHashMap<>();

    private static String key(String username, String domain) {
        return username + "\u0000" + domain;
    }

    @Override
    public Optional<Subscriber> find(String username, String domain) {
        if (username == null || domain == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(byKey.get(key(username, domain)));
    }

    @Override
    public void put(Subscriber s) {
        byKey.put(key(s.username(), s.domain()), s);
    }

    @Override
    public boolean remove(String username, String domain) {
        return byKey.remove(key(username, domain)) != null;
    }

    public int size() {
        return byKey.size();
    }
}
