package io.weft.engine.jetstream.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weft.engine.jetstream.OverlapIndex;
import io.weft.store.Subjects;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The consumer's filter checks now go through {@link io.weft.store.Subjects} and its index; that is only
 * the same answer if {@link ConsumerConfig#overlap} and {@link io.weft.store.Subjects#tokensOverlap} are one
 * rule. Checked on every pair of filters of up to three tokens over {@code a b * >} and the empty
 * token (the index itself is compared with the pairwise rule in the fuzz module's properties).
 */
class FilterOverlapRuleTest {
    private static List<String> filters() {
        String[] tokens = {"a", "b", "*", ">", ""};
        List<String> out = new ArrayList<>();
        List<String> level = List.of("");
        for (int len = 1; len <= 3; len++) {
            List<String> next = new ArrayList<>();
            for (String p : level) {
                for (String t : tokens) {
                    next.add(len == 1 ? t : p + "." + t);
                }
            }
            out.addAll(next);
            level = next;
        }
        return out;
    }

    @Test
    void theConsumerRuleIsTheStreamRule() {
        List<String> all = filters();
        int overlapping = 0;
        for (String x : all) {
            for (String y : all) {
                boolean rule = Subjects.tokensOverlap(x, y);
                assertEquals(rule, ConsumerConfig.overlap(x, y), x + " / " + y);
                overlapping += rule ? 1 : 0;
            }
        }
        assertEquals(true, overlapping > 0 && overlapping < all.size() * all.size(), "both answers occur");
    }
}
