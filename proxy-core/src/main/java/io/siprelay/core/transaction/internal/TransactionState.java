package io.siprelay.core.transaction.internal;

/** States of RFC 3261 §17 transactions plus RFC 6026's Accepted. */
public enum TransactionState { CALLING, TRYING, PROCEEDING, COMPLETED, CONFIRMED, ACCEPTED, TERMINATED }
