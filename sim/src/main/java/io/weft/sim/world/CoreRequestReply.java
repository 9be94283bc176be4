package io.weft.sim.world;

import io.weft.engine.ServerOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Scenario {@code core-request-reply}: one server; responders serve {@code svc.q} as members of the
 * queue group {@code workers} and {@code svc.p} as a plain subscriber; nobody serves
 * {@code svc.none}. Requesters, each with its own inbox {@code _INBOX.c<id>.*} and CONNECT with
 * {@code headers} and {@code no_responders}, send numbered requests one at a time to seeded
 * services and wait for the answer. Check: each request to a served subject got exactly one reply,
 * from a responder that saw it, on its own reply subject; a request to {@code svc.none} got exactly
 * one {@code 503} status HMSG; no inbox received anything meant for another; each request to the
 * queue group reached exactly one member, and the plain responder saw every request to it.
 */
public final class CoreRequestReply implements Scenario {
    public static final String NAME = "core-request-reply";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    private static final String[] SERVICES = {"svc.q", "svc.p", "svc.none"};

    /** Workload size; the tap lets tests plant a lost message. */
    public record Config(int queueMembers, int requesters, int requestsPerClient, Duration maxPause,
                         SimClient.DeliveryTap tap) {
        public static Config defaults() {
            return new Config(3, 4, 12, Duration.ofMillis(3), SimClient.DeliveryTap.all());
        }

        public Config withTap(SimClient.DeliveryTap t) {
            return new Config(queueMembers, requesters, requestsPerClient, maxPause, t);
        }

        public Config withRequesters(int n) {
            return new Config(queueMembers, n, requestsPerClient, maxPause, tap);
        }

        public Config withRequests(int n) {
            return new Config(queueMembers, requesters, n, maxPause, tap);
        }
    }

    private final Config config;

    public CoreRequestReply(Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "1 server, " + config.queueMembers() + " queue-group responders + 1 plain, " + config.requesters()
                + " requesters: every reply reaches exactly its requester; no responders gives a 503 HMSG";
    }

    /** What one requester received on its inbox, under its own lock. */
    private static final class Inbox {
        final ReentrantLock lock = new ReentrantLock();
        final Condition arrived = lock.newCondition();
        final List<String> received = new ArrayList<>(); // "subject|status|payload"
    }

    @Override
    public SimResult run(long seed, Consumer<String> eventLog) {
        SimWorld world = new SimWorld(seed);
        if (eventLog != null) {
            world.eventLog(eventLog);
        }
        ServerOptions opts = new ServerOptions();
        opts.port = 4222;
        SimNode node = world.addNode("n1", opts);
        int members = config.queueMembers();
        List<SimClient> responders = new ArrayList<>();
        // responder i saw these requests (payloads); one lock guards the map (tiny, only sim threads)
        ReentrantLock seenLock = new ReentrantLock();
        Map<String, List<Integer>> handledBy = new TreeMap<>();
        for (int i = 0; i <= members; i++) {
            int rid = i;
            SimClient c = world.addClient(config.tap());
            c.listener((client, subject, sid, reply, headers, payload) -> {
                seenLock.lock();
                try {
                    handledBy.computeIfAbsent(payload, k -> new ArrayList<>()).add(rid);
                } finally {
                    seenLock.unlock();
                }
                if (reply == null) {
                    world.fail("responder " + rid + " got a request without a reply subject: " + payload);
                    return;
                }
                try {
                    client.pub(reply, null, "r" + rid + ":" + payload);
                } catch (IOException e) {
                    world.fail("responder " + rid + " could not reply: " + e);
                }
            });
            responders.add(c);
        }
        List<SimClient> requesters = new ArrayList<>();
        List<Inbox> inboxes = new ArrayList<>();
        for (int i = 0; i < config.requesters(); i++) {
            Inbox box = new Inbox();
            SimClient c = world.addClient(config.tap());
            c.noResponders(true).listener((client, subject, sid, reply, headers, payload) -> {
                String status = headers == null ? "" : headers.lines().findFirst().orElse("");
                box.lock.lock();
                try {
                    box.received.add(subject + "|" + status + "|" + payload);
                    box.arrived.signalAll();
                } finally {
                    box.lock.unlock();
                }
            });
            requesters.add(c);
            inboxes.add(box);
        }
        return world.run(name(), w -> {
            node.start();
            SplittableRandom rnd = w.workload();
            var clock = node.clock();
            // responders first: requests must find them
            for (int i = 0; i <= members; i++) {
                SimClient c = responders.get(i);
                c.connect(w.network().host("c" + c.id()), node.host(), node.port());
                if (i < members) {
                    c.sub("svc.q", "workers", "1");
                } else {
                    c.sub("svc.p", "1");
                }
                c.flush();
            }
            // (expected outcome per request payload)
            Map<String, String> target = new TreeMap<>();
            CountDownLatch finished = new CountDownLatch(requesters.size());
            for (int i = 0; i < requesters.size(); i++) {
                SimClient c = requesters.get(i);
                Inbox box = inboxes.get(i);
                long clientSeed = rnd.nextLong();
                w.scheduler().spawn("c" + c.id() + "/main", () -> {
                    try {
                        SplittableRandom r = new SplittableRandom(clientSeed);
                        clock.sleep(Duration.ofNanos(r.nextLong(config.maxPause().toNanos() + 1)));
                        c.connect(w.network().host("c" + c.id()), node.host(), node.port());
                        String prefix = "_INBOX.c" + c.id() + ".";
                        c.sub(prefix + "*", "inbox");
                        c.flush();
                        for (int k = 1; k <= config.requestsPerClient(); k++) {
                            String service = SERVICES[r.nextInt(SERVICES.length)];
                            String payload = "c" + c.id() + "-" + k;
                            target.put(payload, service);
                            int before;
                            box.lock.lock();
                            try {
                                before = box.received.size();
                            } finally {
                                box.lock.unlock();
                            }
                            c.pub(service, prefix + k, payload);
                            long deadline = clock.nanoTime() + REQUEST_TIMEOUT.toNanos();
                            box.lock.lock();
                            try {
                                while (box.received.size() == before) {
                                    if (!clock.awaitUntil(box.arrived, deadline)) {
                                        w.history().add(c.id(), History.Type.FAIL, "request", payload + " timed out");
                                        w.fail("client " + c.id() + " request " + payload + " to " + service
                                                + " got no answer within " + REQUEST_TIMEOUT);
                                        break;
                                    }
                                }
                            } finally {
                                box.lock.unlock();
                            }
                            if (r.nextInt(3) == 0) {
                                clock.sleep(Duration.ofNanos(r.nextLong(config.maxPause().toNanos() + 1)));
                            }
                        }
                        c.flush();
                    } catch (Exception e) {
                        w.fail("client " + c.id() + ": " + e);
                    } finally {
                        finished.countDown();
                    }
                });
            }
            finished.await();
            // let late duplicates, if any, arrive
            for (SimClient c : responders) {
                c.flush();
            }
            for (SimClient c : requesters) {
                c.flush();
            }
            check(w, requesters, inboxes, target, handledBy, members);
            for (SimClient c : w.clients()) {
                for (String e : c.errors()) {
                    w.fail("client " + c.id() + " got " + e);
                }
                if (c.endedBy() != null) {
                    w.fail("client " + c.id() + " lost its connection: " + c.endedBy());
                }
            }
        });
    }

    private void check(SimWorld w, List<SimClient> requesters, List<Inbox> inboxes, Map<String, String> target,
                       Map<String, List<Integer>> handledBy, int members) {
        for (int i = 0; i < requesters.size(); i++) {
            SimClient c = requesters.get(i);
            String prefix = "_INBOX.c" + c.id() + ".";
            Map<Integer, List<String>> perRequest = new TreeMap<>();
            for (String m : inboxes.get(i).received) {
                String[] f = m.split("\\|", 3);
                if (!f[0].startsWith(prefix)) {
                    w.fail("client " + c.id() + " got a message on another inbox: " + m);
                    continue;
                }
                int k;
                try {
                    k = Integer.parseInt(f[0].substring(prefix.length()));
                } catch (NumberFormatException e) {
                    w.fail("client " + c.id() + " got a message on an unknown reply subject: " + m);
                    continue;
                }
                perRequest.computeIfAbsent(k, x -> new ArrayList<>()).add(m);
            }
            for (int k = 1; k <= config.requestsPerClient(); k++) {
                String payload = "c" + c.id() + "-" + k;
                String service = target.get(payload);
                if (service == null) {
                    continue; // never sent (the client failed earlier; that failure is recorded)
                }
                List<String> got = perRequest.getOrDefault(k, List.of());
                List<Integer> handlers = handledBy.getOrDefault(payload, List.of());
                if (got.size() != 1) {
                    w.fail("client " + c.id() + " request " + payload + " to " + service + " got " + got.size()
                            + " answers: " + got);
                    continue;
                }
                String[] f = got.get(0).split("\\|", 3);
                switch (service) {
                    case "svc.none" -> {
                        if (!f[1].startsWith("NATS/1.0 503")) {
                            w.fail("client " + c.id() + " request " + payload + " to svc.none: expected a 503 status, got "
                                    + got.get(0));
                        }
                        if (!handlers.isEmpty()) {
                            w.fail("request " + payload + " to svc.none reached responders " + handlers);
                        }
                    }
                    case "svc.q" -> {
                        if (handlers.size() != 1 || handlers.get(0) >= members) {
                            w.fail("request " + payload + " to the queue group reached " + handlers
                                    + " (must be exactly one member)");
                        } else if (!f[2].equals("r" + handlers.get(0) + ":" + payload)) {
                            w.fail("client " + c.id() + " request " + payload + " got the wrong answer " + got.get(0));
                        }
                    }
                    default -> {
                        if (!handlers.equals(List.of(members))) {
                            w.fail("request " + payload + " to svc.p reached " + handlers + " (must be the plain responder)");
                        } else if (!f[2].equals("r" + members + ":" + payload)) {
                            w.fail("client " + c.id() + " request " + payload + " got the wrong answer " + got.get(0));
                        }
                    }
                }
            }
        }
        for (String payload : handledBy.keySet()) {
            if (!target.containsKey(payload)) {
                w.fail("a responder got a request nobody sent: " + payload);
            }
        }
    }
}
