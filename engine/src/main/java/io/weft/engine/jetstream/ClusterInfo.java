package io.weft.engine.jetstream;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.engine.cluster.PeerIds;
import io.weft.engine.jetstream.meta.MetaGroup;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The {@code cluster} object of STREAM.INFO and of CONSUMER.INFO/CREATE/LIST, as nats-server's
 * ClusterInfo. A consumer of a replicated stream lives in the stream's Raft group
 * (docs/dev/replicated-consumers.md), so both show the same group: {@code name} (the cluster),
 * {@code raft_group}, {@code leader} (server name), {@code leader_since}, and {@code replicas}:
 * every other member with {@code name, current, offline (only when true), active (ns since last
 * heard), lag (only when not 0), peer}, ordered by name; {@code replicas} is left out when empty.
 * An R1 stream of a cluster has no group: {@code name} and this server as {@code leader}. Nothing
 * on a server that is not clustered.
 */
final class ClusterInfo {
    private ClusterInfo() {
    }

    /**
     * The object for stream {@code s} (and its consumers), or null when there is none. Waits for
     * the group's view: never call it holding a lock the group's thread may need.
     */
    static ObjectNode of(JetStream js, Stream s) {
        if (s.replicated()) {
            return group(s);
        }
        MetaGroup m = js.meta();
        if (m == null) {
            return null;
        }
        // an R1 stream of a cluster: no group of its own, led by the server holding it (as nats-server)
        ObjectNode cl = JsonNodeFactory.instance.objectNode();
        cl.put("name", m.cluster());
        cl.put("leader", m.serverName());
        return cl;
    }

    private static ObjectNode group(Stream s) {
        GroupLog.ClusterView v = s.group().clusterView().join();
        Stream.Replication rep = s.replication();
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        putIfNotEmpty(c, "name", rep.clusterName());
        putIfNotEmpty(c, "raft_group", rep.group());
        if (v.leader() != 0) {
            c.put("leader", serverName(rep, v.leader()));
        }
        if (v.leaderSinceNanos() > 0) {
            c.put("leader_since", JsTime.format(v.leaderSinceNanos()));
        }
        List<GroupLog.Member> members = new ArrayList<>(v.members());
        if (v.leader() == 0) {
            // leaderless: this replica is listed too (as nats-server does)
            members.add(new GroupLog.Member(v.self(), false, 0, 0, false));
        }
        members.sort(Comparator.comparing((GroupLog.Member m) -> serverName(rep, m.peer()))
                .thenComparingLong(GroupLog.Member::peer));
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (GroupLog.Member m : members) {
            if (m.peer() == v.leader()) {
                continue;
            }
            ObjectNode p = a.addObject();
            p.put("name", serverName(rep, m.peer()));
            p.put("current", m.current());
            if (m.offline()) {
                p.put("offline", true);
            }
            p.put("active", m.activeNanos());
            if (m.lag() > 0) {
                p.put("lag", m.lag());
            }
            p.put("peer", PeerIds.hex(m.peer()));
        }
        if (!a.isEmpty()) {
            c.set("replicas", a);
        }
        return c;
    }

    /** The server name of group member {@code peer}, or nats-server's text for one not known yet. */
    static String serverName(Stream.Replication rep, long peer) {
        String n = rep.serverNames() == null ? null : rep.serverNames().apply(peer);
        return n != null ? n : "Server name unknown at this time (peerID: " + PeerIds.hex(peer) + ")";
    }

    private static void putIfNotEmpty(ObjectNode o, String field, String value) {
        if (value != null && !value.isEmpty()) {
            o.put(field, value);
        }
    }
}
