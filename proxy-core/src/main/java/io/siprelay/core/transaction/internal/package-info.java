/**
 * The core's own machinery behind {@link io.siprelay.core.SipProxy}: public only so that the core's other packages
 * can wire it. Not API: applications and components use none of it, it is left out of {@code api/*.txt} and it may
 * change in any release.
 */
package io.siprelay.core.transaction.internal;
