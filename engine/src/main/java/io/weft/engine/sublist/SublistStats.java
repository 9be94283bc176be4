package io.weft.engine.sublist;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Statistics of a {@link Sublist} as nats-server reports them on {@code /subsz}
 * ({@code num_subscriptions}, {@code num_cache}, {@code num_inserts}, {@code num_removes},
 * {@code num_matches}, {@code cache_hit_rate}, {@code max_fanout}, {@code avg_fanout}).
 * {@code cacheHits} and {@code totalFanout} are kept so that the statistics of several
 * sublists (one per account) can be added up exactly; they are not part of the JSON.
 *
 * <p>Fanout figures are computed over the results currently in the match cache.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SublistStats(
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

    /** Statistics with nothing counted. */
    public static final SublistStats ZERO = new SublistStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Statistics from raw counts; the rates are derived. */
    public static SublistStats of(long subs, long cacheCount, long inserts, long removes, long matches,
                           long hits, long maxFanout, long totalFanout) {
        double hitRate = matches > 0 ? (double) hits / matches : 0.0;
        double avg = cacheCount > 0 ? (double) totalFanout / cacheCount : 0.0;
        return new SublistStats(subs, cacheCount, inserts, removes, matches, hitRate, maxFanout, avg,
                hits, totalFanout);
    }

    /** The sum of two sublists' statistics (as /subsz aggregates all accounts). */
    public SublistStats plus(SublistStats o) {
        return of(numSubscriptions + o.numSubscriptions, numCache + o.numCache,
                numInserts + o.numInserts, numRemoves + o.numRemoves, numMatches + o.numMatches,
                cacheHits + o.cacheHits, Math.max(maxFanout, o.maxFanout), totalFanout + o.totalFanout);
    }
}
