package io.weft.engine.monitor;

import io.weft.engine.server.Account;
import io.weft.engine.sublist.SublistStats;

/**
 * Where /subsz, /varz and /accountz get an account's sublist statistics. The server wires this
 * to its sublist's own counters; {@link Monitor}'s default only counts subscriptions.
 */
@FunctionalInterface
public interface SubsStatsSource {
    SublistStats stats(Account account);
}
