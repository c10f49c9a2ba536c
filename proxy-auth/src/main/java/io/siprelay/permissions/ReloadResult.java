package io.siprelay.permissions;

/**
 * What a {@link Permissions#reload()} did: on success the new entry count; on failure why, and the count of the
 * entries still in use.
 *
 * @param ok      true when the new data is in use
 * @param entries entries in use after the reload
 * @param error   why the reload failed, null on success
 */
public record ReloadResult(boolean ok, int entries, String error) {
}
