package io.weft.engine.server;

import io.weft.engine.auth.AuthConfig;
import io.weft.engine.auth.Exports;
import io.weft.engine.mapping.MappingException;
import io.weft.engine.mapping.SubjectTransform;
import io.weft.net.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The imports between accounts, installed as {@link ImportSubscription}s (the configuration
 * reader has checked that each is exported to its importer and that service imports form no
 * cycle):
 *
 * <ul>
 * <li>a stream import of S from A into B, to T: each subscriber of B whose subject meets T gets a
 * {@link ShadowSubscription} in A that hands it A's messages, mapped to T (reply unchanged), and
 * is announced to the routes in A, as nats-server's shadow subscriptions are: a message published
 * in A anywhere in the cluster reaches the servers with such subscribers once, in A;
 * <li>a service import of S from A into B, from local subject T: a subscription in B on T that
 * publishes the request in A on S with a fresh reply subject {@code _R_.<prefix>.<n>}, and a
 * subscription in A on {@code _R_.<prefix>.>} (announced to the routes: a responder may be on
 * another server) that delivers what responders publish there to the requester's own reply
 * subject in B: once for a {@code singleton} export, any number of times
 * for {@code stream} and {@code chunked}, for {@code response_threshold} after the request (after
 * the last response for streams).
 * </ul>
 *
 * Pending responses are kept in memory; an expired one is dropped when a response comes for it and
 * by a sweep when the table has doubled (time from the server's {@link Clock}).
 */
final class AccountLinks {
    private final List<Installed> installed = new ArrayList<>();
    /** The stream imports per importing account, handed to each as one list. */
    private final Map<Account, List<Account.StreamImport>> streams = new java.util.LinkedHashMap<>();

    private record Installed(Account account, Subscription sub) {
    }

    /** One request waiting for responses: where they go in the importing account, until when. */
    private static final class Pending {
        final String key;
        final String reply;
        volatile long expiresNanos;

        Pending(String key, String reply, long expiresNanos) {
            this.key = key;
            this.reply = reply;
            this.expiresNanos = expiresNanos;
        }
    }

    /** Installs every import of {@code auth}; accounts are looked up (created) with {@code accounts}. */
    static AccountLinks install(AuthConfig auth, Function<String, Account> accounts, Clock clock, String serverId) {
        AccountLinks links = new AccountLinks();
        int n = 0;
        for (Map.Entry<String, List<Exports.Import>> e : auth.imports.entrySet()) {
            Account importer = accounts.apply(e.getKey());
            for (Exports.Import imp : e.getValue()) {
                Account exporter = accounts.apply(imp.account());
                try {
                    if (imp.service()) {
                        Exports.Export export = exportOf(auth, imp);
                        links.service(importer, exporter, imp, export, clock, prefix(serverId, n++));
                    } else {
                        links.streams.computeIfAbsent(importer, k -> new ArrayList<>())
                                .add(new Account.StreamImport(exporter, imp.subject(),
                                        imp.to() == null || imp.to().isEmpty() ? imp.subject() : imp.to(),
                                        SubjectTransform.forImport(imp.subject(), imp.to()), imp.allowTrace()));
                    }
                } catch (MappingException ex) {
                    // the configuration reader compiles the same transforms and refuses the file first
                    throw new IllegalArgumentException(ex.getMessage(), ex);
                }
            }
        }
        links.streams.forEach(Account::streamImports);
        return links;
    }

    /** Removes every subscription {@link #install} made. */
    void uninstall() {
        for (Installed i : installed) {
            i.account.sublist.remove(i.sub);
        }
        installed.clear();
        streams.keySet().forEach(a -> a.streamImports(List.of()));
        streams.clear();
    }

    private static Exports.Export exportOf(AuthConfig auth, Exports.Import imp) {
        for (Exports.Export ex : auth.exports.getOrDefault(imp.account(), List.of())) {
            if (ex.service() && io.weft.store.Subjects.isSubsetMatch(imp.subject(), ex.subject())) {
                return ex;
            }
        }
        return new Exports.Export(true, imp.subject(), null, Exports.ResponseType.SINGLETON, Exports.DEFAULT_THRESHOLD);
    }

    private static String prefix(String serverId, int n) {
        // a reply prefix no client subject collides with in practice: a part of the server's id and the import's number
        return "_R_." + serverId.substring(Math.max(0, serverId.length() - 6)) + Integer.toString(n, 36) + ".";
    }

    private void add(Account account, Subscription sub) {
        account.sublist.insert(sub);
        installed.add(new Installed(account, sub));
    }

    private void service(Account importer, Account exporter, Exports.Import imp, Exports.Export export, Clock clock,
                         String replyPrefix) throws MappingException {
        SubjectTransform toExport = SubjectTransform.forImport(imp.subject(), imp.to()).reverse();
        boolean singleton = export.responseType() == null || export.responseType() == Exports.ResponseType.SINGLETON;
        long thresholdNanos = (export.responseThreshold() == null ? Exports.DEFAULT_THRESHOLD : export.responseThreshold())
                .toNanos();
        Map<String, Pending> pending = new ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicLong pruneAt = new java.util.concurrent.atomic.AtomicLong(1024);
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        boolean self = importer == exporter;
        add(importer, new ImportSubscription(toExport.source(), (routeSubject, subject, reply, data, off, hdrLen, totalLen,
                                                                 publisher, batch) -> {
            if (self) {
                return Router.NO_INTEREST; // importing one's own export changes nothing
            }
            String target = toExport.apply(routeSubject, exporter::nextInt);
            String mappedReply = null;
            Pending p = null;
            long now = clock.nanoTime();
            if (reply != null) {
                if (pending.size() >= pruneAt.get()) {
                    prune(pending, now);
                    pruneAt.set(Math.max(1024, 2L * pending.size()));
                }
                mappedReply = replyPrefix + Long.toString(next.incrementAndGet(), 36);
                p = new Pending(mappedReply, reply, now + thresholdNanos);
                pending.put(mappedReply, p);
            }
            MsgTrace trace = MsgTrace.current();
            if (trace != null && !trace.stopped) {
                trace.serviceImport(exporter.name(), routeSubject, target);
                String mr = mappedReply;
                int r = MsgTrace.crossing(trace, export.allowTrace(), null, data, off, hdrLen, totalLen,
                        (d, o, h, t) -> serviceRoute(exporter, importer, target, mr, d, o, h, t, publisher, batch));
                if (r == Router.NO_INTEREST && p != null) {
                    pending.remove(p.key);
                }
                return r;
            }
            int r = serviceRoute(exporter, importer, target, mappedReply, data, off, hdrLen, totalLen, publisher, batch);
            if (r == Router.NO_INTEREST && p != null) {
                pending.remove(p.key);
            }
            return r;
        }));
        if (self) {
            return;
        }
        add(exporter, new ImportSubscription(replyPrefix + ">", (routeSubject, subject, reply, data, off, hdrLen, totalLen,
                                                                 publisher, batch) -> {
            long now = clock.nanoTime();
            Pending p = singleton ? pending.remove(routeSubject) : pending.get(routeSubject);
            if (p == null) {
                return Router.NO_INTEREST;
            }
            if (now - p.expiresNanos > 0) {
                pending.remove(routeSubject, p);
                return Router.NO_INTEREST;
            }
            if (!singleton) {
                p.expiresNanos = now + thresholdNanos;
            }
            return importer.router.route(p.reply, p.reply, reply, data, off, hdrLen, totalLen, publisher, batch,
                    importer.pick, false, null, true);
        }, true));
    }

    /**
     * A request's way into the exporting account, with the requester's info (as nats-server 2.15.1
     * adds it to every message a service import carries, a reply expected or not: the responder
     * learns the requesting account and its round trip time).
     */
    private static int serviceRoute(Account exporter, Account importer, String target, String mappedReply, byte[] data,
                                    int off, int hdrLen, int totalLen, ClientConnection publisher, Deliveries batch) {
        byte[] with = withRequestInfo(importer.name(), publisher == null ? 0 : publisher.rttNanos(), data, off,
                hdrLen, totalLen);
        int newHdr = hdrLen + (with.length - totalLen);
        return exporter.router.route(target, target, mappedReply, with, 0, newHdr, with.length, publisher, batch,
                exporter.pick);
    }

    /**
     * Drops requests whose threshold passed without a response. Run when the table has doubled
     * since the last run, so its cost per request stays constant and the table holds about twice
     * the requests of one threshold at most.
     */
    private static void prune(Map<String, Pending> pending, long now) {
        pending.values().removeIf(p -> now - p.expiresNanos > 0);
    }

    /**
     * The message with a {@code Nats-Request-Info: {"acc":"B","rtt":N}} header added (a header block
     * made if it had none), as nats-server adds to a request that crosses a service import.
     */
    static byte[] withRequestInfo(String account, long rttNanos, byte[] data, int off, int hdrLen, int totalLen) {
        String json = "{\"acc\":" + io.weft.engine.json.GoJsonQuote.json(account)
                + (rttNanos > 0 ? ",\"rtt\":" + rttNanos : "") + "}";
        byte[] line = ("Nats-Request-Info: " + json + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] head = hdrLen > 0 ? null : "NATS/1.0\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int keep = hdrLen > 0 ? hdrLen - 2 : 0; // the header block without its closing blank line
        int payload = totalLen - hdrLen;
        byte[] out = new byte[(head == null ? keep : head.length) + line.length + payload];
        int at = 0;
        if (head != null) {
            System.arraycopy(head, 0, out, 0, head.length);
            at = head.length;
        } else {
            System.arraycopy(data, off, out, 0, keep);
            at = keep;
        }
        System.arraycopy(line, 0, out, at, line.length);
        at += line.length;
        System.arraycopy(data, off + hdrLen, out, at, payload);
        return out;
    }
}
