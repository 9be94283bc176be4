package io.weft.engine.node;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.JetStream;
import io.weft.engine.jetstream.meta.MetaGroup;
import io.weft.engine.route.Routes;
import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.net.Env;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How a {@code weft serve} server learns the members of its JetStream meta group, then joins it.
 *
 * <p>The members are this server and every peer its configured routes ({@code cluster.routes})
 * reach that is weft and announces JetStream in its route INFO. The group is started only once
 * every configured route URL has been reached (or found to be this server itself, as when each
 * server's configuration carries the same routes block, itself included): a server never starts
 * the group on a partial view, so three servers configured with the same routes all start it with
 * the same three members. Until then the server runs and its JetStream answers every API request
 * 503/10008, and every {@link #WARN_EVERY} the log names the routes still not reached. (A server
 * with no configured routes starts no meta group: {@link Node} runs its JetStream alone.)
 *
 * <p>Before it starts, the server announces the members in its route INFO ({@code weft_meta}) and
 * waits until every other member announces the same: servers whose routes blocks differ log the
 * disagreement and start nothing, rather than two groups. The members found are written to {@code <meta dir>/members} before the group starts; a
 * restart reads them back and joins at once, without waiting for any route (so a cluster with one
 * server down restarts the others). nats-server starts with the servers it knows and sizes its
 * group by the configured routes, adding peers as they appear; weft's Raft groups have a fixed
 * first membership instead, hence the wait for all of them.
 */
final class MetaBootstrap {
    static final String FILE = "members";
    static final Duration POLL = Duration.ofMillis(50);
    static final Duration WARN_EVERY = Duration.ofSeconds(10);

    private final Env env;
    private final ServerLog log;
    private final ServerOptions options;
    private final Routes routes;
    private final JetStream js;

    MetaBootstrap(Env env, ServerLog log, ServerOptions options, Routes routes, JetStream js) {
        this.env = env;
        this.log = log;
        this.options = options;
        this.routes = routes;
        this.js = js;
    }

    /** The meta group's directory under the store. */
    static String dir(ServerOptions o) {
        return JetStream.storeRoot(o) + "/$SYS/_js_/_meta_";
    }

    void start() {
        env.spawner().spawn("js-meta-bootstrap", this::run);
    }

    private void run() {
        String dir = dir(options);
        Disk disk = env.disk();
        try {
            List<String> members;
            try {
                members = read(disk, dir);
            } catch (Damaged e) {
                // found again as at the first start: from the routes, and only once every peer announces
                // the same members, so the group is never joined with members it was not made with
                log.error("JetStream meta group: " + e.getMessage() + "; the members are found again from the"
                        + " configured routes and the peers");
                members = null;
            }
            if (members == null) {
                members = await();
                if (members == null) {
                    return;
                }
                routes.announceMetaMembers(members);
                if (!agreed(members)) {
                    return;
                }
                disk.mkdirs(dir);
                write(disk, dir, members);
            } else {
                log.notice("JetStream meta group members read from " + dir + "/" + FILE + ": " + String.join(", ", members));
                routes.announceMetaMembers(members);
            }
            String name = options.serverName;
            js.joinMeta(MetaGroup.Settings.of(name, options.clusterName, dir, members,
                    n -> n.equals(name) ? options.serverTags : List.of()));
        } catch (IOException | RuntimeException e) {
            log.error("JetStream meta group not started: " + e.getMessage());
            js.metaNotStarted(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every configured route is resolved; the members, or null when JetStream stopped first. */
    private List<String> await() throws InterruptedException {
        long nextWarn = env.clock().nanoTime() + WARN_EVERY.toNanos();
        while (js.isRunning()) {
            Map<String, Routes.Resolved> r = routes.configuredRoutes();
            List<String> missing = new ArrayList<>();
            TreeSet<String> members = new TreeSet<>();
            members.add(options.serverName);
            for (Map.Entry<String, Routes.Resolved> e : r.entrySet()) {
                Routes.Resolved x = e.getValue();
                if (x == null) {
                    missing.add(e.getKey());
                } else if (!x.self() && x.weft() && x.jetstream()) {
                    members.add(x.name());
                }
            }
            if (missing.isEmpty()) {
                for (Map.Entry<String, Routes.Resolved> e : r.entrySet()) {
                    Routes.Resolved x = e.getValue();
                    if (!x.self() && !(x.weft() && x.jetstream())) {
                        log.warn("JetStream meta group: route " + e.getKey() + " reaches " + x.name() + ", which "
                                + (x.weft() ? "runs no JetStream" : "is not weft") + "; not a member");
                    }
                }
                log.notice("JetStream meta group members from the configured routes: " + String.join(", ", members));
                return List.copyOf(members);
            }
            long now = env.clock().nanoTime();
            if (now >= nextWarn) {
                log.warn("JetStream meta group waits for the configured routes " + missing
                        + " before it starts (JetStream answers 10008 until then)");
                nextWarn = now + WARN_EVERY.toNanos();
            }
            env.clock().sleep(POLL);
        }
        return null;
    }

    /**
     * Waits until every other member announces the same members in its route INFO (it found the
     * same from its own routes, or started with them earlier): true then, false when JetStream
     * stopped first. A member announcing other members is logged every {@link #WARN_EVERY}, and
     * this server goes on waiting: it never starts a group its peers would not start.
     */
    private boolean agreed(List<String> members) throws InterruptedException {
        long nextWarn = env.clock().nanoTime() + WARN_EVERY.toNanos();
        while (js.isRunning()) {
            Map<String, List<String>> theirs = routes.peersMetaMembers();
            List<String> waiting = new ArrayList<>();
            List<String> disagree = new ArrayList<>();
            for (String m : members) {
                if (m.equals(options.serverName)) {
                    continue;
                }
                List<String> t = theirs.get(m);
                if (t == null || t.isEmpty()) {
                    waiting.add(m);
                } else if (!new TreeSet<>(t).equals(new TreeSet<>(members))) {
                    waiting.add(m);
                    disagree.add(m + " " + t);
                }
            }
            if (waiting.isEmpty()) {
                return true;
            }
            long now = env.clock().nanoTime();
            if (now >= nextWarn) {
                if (disagree.isEmpty()) {
                    log.warn("JetStream meta group waits for " + waiting + " to announce the members " + members);
                } else {
                    log.error("JetStream meta group not started: this server's members are " + members
                            + ", but " + String.join(", ", disagree) + " (give every JetStream server the same routes)");
                }
                nextWarn = now + WARN_EVERY.toNanos();
            }
            env.clock().sleep(POLL);
        }
        return false;
    }

    /** The members file is there but unreadable: its checksum does not match, or it names no member. */
    static final class Damaged extends IOException {
        Damaged(String message) {
            super(message);
        }
    }

    /** The first line of the file (a file without it was written before the checksum existed). */
    private static final String HEADER = "# weft JetStream meta group members\n";
    /** The last line of the file: the CRC32C of every byte before it, in hex. */
    private static final String CRC_PREFIX = "# crc32c ";

    /**
     * The members written at the group's first start, or null when there are none. A file written
     * before the checksum line existed is read as it is (and has no protection against damage).
     */
    static List<String> read(Disk disk, String dir) throws IOException {
        String path = dir + "/" + FILE;
        if (!disk.exists(path)) {
            return null;
        }
        byte[] bytes;
        try (DiskFile f = disk.open(path, false)) {
            long size = f.size();
            if (size > 1 << 20) {
                throw new Damaged(path + " is damaged: too large (" + size + " bytes)");
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining()) {
                if (f.read(b, b.position()) < 0) {
                    break;
                }
            }
            bytes = java.util.Arrays.copyOf(b.array(), b.position());
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.startsWith(HEADER)) {
            int at = text.lastIndexOf(CRC_PREFIX);
            if (at < HEADER.length() || text.charAt(at - 1) != '\n' || !text.endsWith("\n")) {
                throw new Damaged(path + " is damaged: its checksum line is missing or cut");
            }
            String want = text.substring(at + CRC_PREFIX.length()).strip();
            String got = crc(text.substring(0, at).getBytes(StandardCharsets.UTF_8));
            if (!want.equals(got)) {
                throw new Damaged(path + " is damaged: its checksum is " + got + ", the file says " + want);
            }
            text = text.substring(HEADER.length(), at);
        } else if (text.contains(CRC_PREFIX)) {
            throw new Damaged(path + " is damaged: its first line is not " + HEADER.strip());
        } else if (!text.endsWith("\n")) {
            throw new Damaged(path + " is damaged: its last line is cut");
        }
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        if (out.isEmpty()) {
            throw new Damaged(path + " is damaged: it names no member");
        }
        return out;
    }

    private static String crc(byte[] b) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b);
        return String.format("%08x", c.getValue());
    }

    /**
     * Writes the header line, the members (one per line) and the checksum line to a temporary file, forced, renamed
     * into place, directory synced.
     */
    static void write(Disk disk, String dir, List<String> members) throws IOException {
        String tmp = dir + "/" + FILE + ".tmp";
        if (disk.exists(tmp)) {
            disk.delete(tmp);
        }
        String body = HEADER + String.join("\n", members) + "\n";
        byte[] data = (body + CRC_PREFIX + crc(body.getBytes(StandardCharsets.UTF_8)) + "\n").getBytes(StandardCharsets.UTF_8);
        try (DiskFile f = disk.open(tmp, true)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(data), 0);
            f.force();
        }
        disk.rename(tmp, dir + "/" + FILE);
        disk.syncDir(dir);
    }
}
