package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Sublist statistics as /subsz and /accountz print them ({@code sublist_stats}). The raw
 * {@code cacheHits} and {@code totalFanout} (sum of the fanout of the cached results) let the
 * statistics of several accounts be added up exactly, as nats-server does for /subsz.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SubsStats(
        long numSubscriptions,
        long numCache,
        long numInserts,
        long numRemoves,
        long numMatches,
        double cacheHitRate,
        long maxFanout,
        double avgFanout,
        @JsonIgnore long cacheHits,
        @JsonIgnore long totalFanout) {

    public static final SubsStats ZERO = of(0, 0, 0, 0, 0, 0, 0, 0);

    /** Statistics from raw counts; the rates are derived. */
    public static SubsStats of(long subs, long cache, long inserts, long removes, long matches,
                               long cacheHits, long maxFanout, long totalFanout) {
        double hitRate = matches > 0 ? (double) cacheHits / matches : 0;
        double avg = cache > 0 ? (double) totalFanout / cache : 0;
        return new SubsStats(subs, cache, inserts, removes, matches, hitRate, maxFanout, avg, cacheHits, totalFanout);
    }

    /** The sum of two accounts' statistics. */
    public SubsStats plus(SubsStats o) {
        return of(numSubscriptions + o.numSubscriptions, numCache + o.numCache, numInserts + o.numInserts,
                numRemoves + o.numRemoves, numMatches + o.numMatches, cacheHits + o.cacheHits,
                Math.max(maxFanout, o.maxFanout), totalFanout + o.totalFanout);
    }
}
