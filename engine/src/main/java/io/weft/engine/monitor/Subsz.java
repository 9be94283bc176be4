package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.weft.engine.sublist.SublistStats;
import java.util.List;

/**
 * {@code /subsz}. nats-server 2.15.1 always prints the envelope ({@code server_id}, {@code now},
 * {@code total}, {@code offset}, {@code limit}); {@code subscriptions_list} only when a list was
 * asked for and the page is not empty. {@code total} is the number of subscriptions that matched
 * (before paging), 0 without {@code subs}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Subsz(
        String serverId,
        String now,
        long numSubscriptions,
        long numCache,
        long numInserts,
        long numRemoves,
        long numMatches,
        double cacheHitRate,
        long maxFanout,
        double avgFanout,
        int total,
        int offset,
        int limit,
        @JsonInclude(Include.NON_EMPTY) List<SubDetail> subscriptionsList) {

    static Subsz of(String serverId, String now, SublistStats s, int total, int offset, int limit,
                    List<SubDetail> page) {
        return new Subsz(serverId, now, s.numSubscriptions(), s.numCache(), s.numInserts(), s.numRemoves(),
                s.numMatches(), s.cacheHitRate(), s.maxFanout(), s.avgFanout(), total, offset, limit, page);
    }
}
