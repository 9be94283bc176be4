package io.weft.raft;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/** Majority arithmetic over a configuration (both halves of a joint one). */
final class Quorum {
    enum Result { WON, LOST, PENDING }

    private Quorum() {}

    /** The highest value that a majority of voters has reached (per half, the lower of both halves). */
    static long committedIndex(ConfState c, ToLongFunction<Long> value) {
        long idx = majorityIndex(c.voters(), value);
        if (c.joint()) idx = Math.min(idx, majorityIndex(c.votersOutgoing(), value));
        return idx;
    }

    private static long majorityIndex(List<Long> voters, ToLongFunction<Long> value) {
        if (voters.isEmpty()) return Long.MAX_VALUE;
        long[] v = new long[voters.size()];
        for (int i = 0; i < v.length; i++) v[i] = value.applyAsLong(voters.get(i));
        Arrays.sort(v);
        return v[v.length - (v.length / 2 + 1)];
    }

    static Result tally(ConfState c, Map<Long, Boolean> votes) {
        Result a = tally(c.voters(), votes);
        if (!c.joint()) return a;
        Result b = tally(c.votersOutgoing(), votes);
        if (a == Result.LOST || b == Result.LOST) return Result.LOST;
        return a == Result.WON && b == Result.WON ? Result.WON : Result.PENDING;
    }

    private static Result tally(List<Long> voters, Map<Long, Boolean> votes) {
        if (voters.isEmpty()) return Result.WON;
        int yes = 0;
        int no = 0;
        for (long id : voters) {
            Boolean v = votes.get(id);
            if (v == null) continue;
            if (v) yes++;
            else no++;
        }
        int need = voters.size() / 2 + 1;
        if (yes >= need) return Result.WON;
        if (voters.size() - no < need) return Result.LOST;
        return Result.PENDING;
    }

    static boolean active(ConfState c, java.util.function.LongPredicate isActive) {
        return active(c.voters(), isActive) && (!c.joint() || active(c.votersOutgoing(), isActive));
    }

    private static boolean active(List<Long> voters, java.util.function.LongPredicate isActive) {
        int n = 0;
        for (long id : voters) if (isActive.test(id)) n++;
        return voters.isEmpty() || n >= voters.size() / 2 + 1;
    }
}
