/**
 * Location stores: memory (Caffeine), write-through and database-only, and the SQL database behind them
 * (Kamailio's {@code location} table, created by Flyway at start-up, every value a JDBI bound parameter).
 */
package io.siprelay.registrar.store;
