package io.weft.engine.monitor;

import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.weft.engine.sublist.SublistStats;
import java.util.List;

/**
 * {@code /subsz}. nats-server prints only the statistics unless a subscription list was asked
 * for and the requested page is non-empty; then the envelope fields are present too. In that
 * case {@code total} is the size of the returned page, as nats-server 2.9/2.10 report it.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Subsz(
        @JsonInclude(Include.NON_NULL) String serverId,
        @JsonInclude(Include.NON_NULL) String now,
        long numSubscriptions,
        long numCache,
        long numInserts,
        long numRemoves,
        long numMatches,
        double cacheHitRate,
        long maxFanout,
        double avgFanout,
        @JsonInclude(Include.NON_NULL) Integer total,
        @JsonInclude(Include.NON_NULL) Integer offset,
        @JsonInclude(Include.NON_NULL) Integer limit,
        @JsonInclude(Include.NON_NULL) List<SubDetail> subscriptionsList) {

    static Subsz statsOnly(SublistStats s) {
        return new Subsz(null, null, s.numSubscriptions(), s.numCache(), s.numInserts(), s.numRemoves(),
                s.numMatches(), s.cacheHitRate(), s.maxFanout(), s.avgFanout(), null, null, null, null);
    }

    static Subsz withList(String serverId, String now, SublistStats s, int offset, int limit, List<SubDetail> page) {
        return new Subsz(serverId, now, s.numSubscriptions(), s.numCache(), s.numInserts(), s.numRemoves(),
                s.numMatches(), s.cacheHitRate(), s.maxFanout(), s.avgFanout(), page.size(), offset, limit, page);
    }
}
