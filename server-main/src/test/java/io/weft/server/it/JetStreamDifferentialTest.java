package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Raw {@code $JS.API} differential tests: each case is a list of requests sent in order, one at a
 * time, to nats-server {@code -js} (the reference) and to the candidate (weft when
 * {@code -Dweft.target=weft} or {@code -Dweft.diff=on}; otherwise a second nats-server, which checks
 * that the cases are deterministic). Every reply is normalised ({@link JsApiExchange#normalise}: JSON
 * with sorted keys, ids, times, versions, server names and cluster fields removed; time-stamp
 * headers blanked) and the two transcripts must be equal. All streams are deleted before each case.
 * {@code -Dweft.diff.print=true} prints every transcript.
 */
class JetStreamDifferentialTest {
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(3);
    static final Duration QUIET_TIMEOUT = Duration.ofMillis(700);
    static final java.util.concurrent.ExecutorService BOTH = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    /** One step: a request (expects a reply on its inbox), or a plain publish ({@code reply == false}). */
    record Step(String subject, String headers, String payload, boolean reply, Duration timeout, Set<String> ignored,
                String quirk) {
        Step(String subject, String headers, String payload, boolean reply) {
            this(subject, headers, payload, reply, REPLY_TIMEOUT);
        }

        Step(String subject, String headers, String payload, boolean reply, Duration timeout) {
            this(subject, headers, payload, reply, timeout, Set.of(), null);
        }

        /** The same step with these JSON keys left out of the comparison (a known quirk of 2.9.10). */
        Step ignoring(String... keys) {
            return new Step(subject, headers, payload, reply, timeout, Set.of(keys), quirk);
        }

        /** The same step, sent to both but not compared, because 2.9.10 is wrong here (the reason says how). */
        Step referenceQuirk(String reason) {
            return new Step(subject, headers, payload, reply, timeout, ignored, reason);
        }

        @Override
        public String toString() {
            if (subject.startsWith(AWAIT)) {
                return "AWAIT message on " + subject.substring(AWAIT.length()) + "*";
            }
            return (reply ? "REQ " : "PUB ") + subject + (headers == null ? "" : " [" + headers.replace("\r\n", "|") + "]")
                    + " " + payload;
        }
    }

    record Case(String name, List<Step> steps) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Step r(String subject, String payload) {
        return new Step(subject, null, payload, true);
    }

    static Step h(String subject, String headers, String payload) {
        return new Step(subject, headers, payload, true);
    }

    /** A request nats-server does not answer: waits only {@link #QUIET_TIMEOUT}. */
    static Step q(String subject, String payload) {
        return new Step(subject, null, payload, true, QUIET_TIMEOUT);
    }

    /** Waits for a message on a subject starting with {@code prefix} (e.g. a republished copy). */
    static Step await(String prefix) {
        return new Step(AWAIT + prefix, null, "", false);
    }

    static final String AWAIT = "AWAIT:";

    /**
     * Stream and consumer config decoding and checks follow nats-server 2.15.1, which words these
     * differently from 2.9.10 ("invalid JSON: " and Go's error, unknown fields refused, an empty body
     * decoded as an empty request, max_age checked before the duplicate window, '\\' and '/' in
     * the name rule); JetStreamConfigDifferentialTest compares them with 2.15.1.
     */

    static Step p(String subject, String payload) {
        return new Step(subject, null, payload, false);
    }

    static Case c(String name, Step... steps) {
        return new Case(name, List.of(steps));
    }

    static final String API = "$JS.API.";

    static Step create(String name, String configJson) {
        return r(API + "STREAM.CREATE." + name, configJson);
    }

    static Step createMem(String name, String... subjects) {
        return create(name, "{\"name\":\"" + name + "\",\"subjects\":[" + quoted(subjects) + "],\"storage\":\"memory\"}");
    }

    static Step createFile(String name, String... subjects) {
        return create(name, "{\"name\":\"" + name + "\",\"subjects\":[" + quoted(subjects) + "],\"storage\":\"file\"}");
    }

    static String quoted(String... s) {
        List<String> q = new ArrayList<>();
        for (String x : s) {
            q.add("\"" + x + "\"");
        }
        return String.join(",", q);
    }

    static Step[] publishes(String subjectPrefix, int n) {
        Step[] out = new Step[n];
        for (int i = 0; i < n; i++) {
            out[i] = r(subjectPrefix + (i % 3), "m" + (i + 1));
        }
        return out;
    }

    static Step[] concat(Step[]... parts) {
        List<Step> all = new ArrayList<>();
        for (Step[] p : parts) {
            all.addAll(List.of(p));
        }
        return all.toArray(Step[]::new);
    }

    static Step[] s(Step... steps) {
        return steps;
    }

    static List<Case> cases() {
        return List.of(
                // ---- account info ----
                c("account info, no streams", r(API + "INFO", "")),
                c("account info after create", createMem("AI", "ai.>"), r(API + "INFO", "")),

                // ---- stream create ----
                c("create memory stream", createMem("ORDERS", "orders.>")),
                c("create file stream", createFile("FILES", "files.*")),
                c("byte accounting, file and memory", createFile("BF", "bf.*"), createMem("BM", "bm.*"),
                        r("bf.a", "12345"), h("bf.b", "X-A: 1\r\n", "678"), r("bm.a", "12345"), h("bm.b", "X-A: 1\r\n", "678"),
                        r(API + "STREAM.INFO.BF", ""), r(API + "STREAM.INFO.BM", ""), r(API + "INFO", "")),
                c("create with all common options", create("FULL", "{\"name\":\"FULL\",\"subjects\":[\"full.>\"],"
                        + "\"retention\":\"limits\",\"max_consumers\":5,\"max_msgs\":100,\"max_bytes\":100000,"
                        + "\"max_age\":3600000000000,\"max_msgs_per_subject\":3,\"max_msg_size\":1000,\"storage\":\"file\","
                        + "\"discard\":\"new\",\"num_replicas\":1,\"duplicate_window\":60000000000,\"description\":\"d\","
                        + "\"deny_delete\":true,\"deny_purge\":true,\"allow_rollup_hdrs\":true,\"allow_direct\":true}")),
                c("create work queue", create("WQ", "{\"name\":\"WQ\",\"subjects\":[\"wq.>\"],\"retention\":\"workqueue\",\"storage\":\"memory\"}")),
                c("create interest", create("INT", "{\"name\":\"INT\",\"subjects\":[\"int.>\"],\"retention\":\"interest\",\"storage\":\"memory\"}")),
                c("create without subjects uses the name", create("NOSUBJ", "{\"name\":\"NOSUBJ\",\"storage\":\"memory\"}")),
                c("create twice same config", createMem("TWICE", "twice.>"), createMem("TWICE", "twice.>")),
                c("create twice other config", createMem("OTHER", "other.>"), createMem("OTHER", "other2.>")),
                c("create name mismatch", create("A", "{\"name\":\"B\",\"subjects\":[\"ab.>\"]}")),
                c("create name missing from body", create("NONAME", "{\"subjects\":[\"nn.>\"],\"storage\":\"memory\"}")),
                c("create malformed json", create("BAD", "{bad json")),
                c("create empty body", create("EMPTY", "")),
                c("create json array body", create("ARR", "[1,2]")),
                c("create unknown field", create("UNK", "{\"name\":\"UNK\",\"subjects\":[\"unk\"],\"storage\":\"memory\",\"bogus\":1}")),
                c("create bad storage value", create("BST", "{\"name\":\"BST\",\"subjects\":[\"bst\"],\"storage\":\"tape\"}")),
                c("create bad retention value", create("BRT", "{\"name\":\"BRT\",\"subjects\":[\"brt\"],\"retention\":\"forever\"}")),
                c("create wrong type for max_msgs", create("BTY", "{\"name\":\"BTY\",\"subjects\":[\"bty\"],\"max_msgs\":\"many\"}")),
                c("create negative max_age", create("NEG", "{\"name\":\"NEG\",\"subjects\":[\"neg\"],\"max_age\":-5,\"storage\":\"memory\"}")),
                c("create replicas 3 on one server", create("R3", "{\"name\":\"R3\",\"subjects\":[\"r3\"],\"num_replicas\":3,\"storage\":\"memory\"}")),
                c("create invalid subject", create("INV", "{\"name\":\"INV\",\"subjects\":[\"a..b\"],\"storage\":\"memory\"}")),
                c("create subject overlapping the API", create("SYS", "{\"name\":\"SYS\",\"subjects\":[\"$JS.API.>\"],\"storage\":\"memory\"}")),
                c("create duplicate subjects in one stream", create("DUP", "{\"name\":\"DUP\",\"subjects\":[\"dup\",\"dup\"],\"storage\":\"memory\"}")),
                c("create overlapping own subjects", create("OWN", "{\"name\":\"OWN\",\"subjects\":[\"own.>\",\"own.a\"],\"storage\":\"memory\"}")),
                c("create overlapping another stream", createMem("OV1", "ov.>"), createMem("OV2", "ov.a"), createMem("OV3", "*.b"),
                        createMem("OV4", "other.ov")),
                c("create name with dot via subject token", create("a*b", "{\"name\":\"a*b\",\"subjects\":[\"axb\"]}")),
                c("create name with gt", create("a>b", "{\"name\":\"a>b\",\"subjects\":[\"agtb\"]}")),
                c("create max_msgs_per_subject and discard new per subject", create("DNP", "{\"name\":\"DNP\",\"subjects\":[\"dnp.*\"],"
                        + "\"storage\":\"memory\",\"discard\":\"new\",\"max_msgs_per_subject\":1,\"discard_new_per_subject\":true}"),
                        r("dnp.a", "1"), r("dnp.a", "2"), r("dnp.b", "3")),
                c("create sealed refused", create("SEAL", "{\"name\":\"SEAL\",\"subjects\":[\"seal\"],\"sealed\":true,\"storage\":\"memory\"}")),

                // ---- stream info, names, list ----
                c("stream info missing", r(API + "STREAM.INFO.NOPE", "")),
                c("stream delete missing", r(API + "STREAM.DELETE.NOPE", "")),
                c("stream update missing", r(API + "STREAM.UPDATE.NOPE", "{\"name\":\"NOPE\",\"subjects\":[\"nope\"]}")),
                c("stream purge missing", r(API + "STREAM.PURGE.NOPE", "")),
                c("stream info with state", concat(s(createMem("SI", "si.*")), publishes("si.", 7),
                        s(r(API + "STREAM.INFO.SI", ""), r(API + "STREAM.INFO.SI", "{\"subjects_filter\":\">\"}"),
                                r(API + "STREAM.INFO.SI", "{\"subjects_filter\":\"si.1\"}"),
                                r(API + "STREAM.INFO.SI", "{\"deleted_details\":true}"),
                                r(API + "STREAM.INFO.SI", "{bad")))),
                c("stream info deleted details", concat(s(createMem("DD", "dd.*")), publishes("dd.", 6),
                        s(r(API + "STREAM.MSG.DELETE.DD", "{\"seq\":2}"), r(API + "STREAM.MSG.DELETE.DD", "{\"seq\":4}"),
                                r(API + "STREAM.INFO.DD", "{\"deleted_details\":true}"), r(API + "STREAM.INFO.DD", "")))),
                c("stream names and list", createMem("N1", "n1.>"), createMem("N2", "n2.>"), createFile("N3", "n3.>"),
                        r(API + "STREAM.NAMES", ""), r(API + "STREAM.NAMES", "{}"), r(API + "STREAM.NAMES", "{\"offset\":1}"),
                        r(API + "STREAM.NAMES", "{\"offset\":10}"), r(API + "STREAM.NAMES", "{\"subject\":\"n2.x\"}"),
                        r(API + "STREAM.NAMES", "{\"subject\":\"nomatch\"}"), r(API + "STREAM.LIST", ""),
                        r(API + "STREAM.LIST", "{\"offset\":2}"), r(API + "STREAM.NAMES", "{bad")),
                c("stream names empty", r(API + "STREAM.NAMES", ""), r(API + "STREAM.LIST", "")),

                // ---- stream update ----
                c("update editable fields", createMem("UPD", "upd.>"),
                        r(API + "STREAM.UPDATE.UPD", "{\"name\":\"UPD\",\"subjects\":[\"upd.>\",\"upd2.>\"],\"storage\":\"memory\","
                                + "\"max_msgs\":10,\"description\":\"new\"}")),
                c("update storage refused", createMem("UPS", "ups.>"),
                        r(API + "STREAM.UPDATE.UPS", "{\"name\":\"UPS\",\"subjects\":[\"ups.>\"],\"storage\":\"file\"}")),
                c("update retention refused", createMem("UPR", "upr.>"),
                        // 2.15.1 (and weft) word it "... to/from workqueue" and allow limits <-> interest
                        r(API + "STREAM.UPDATE.UPR", "{\"name\":\"UPR\",\"subjects\":[\"upr.>\"],\"storage\":\"memory\",\"retention\":\"workqueue\"}")
                                ),
                c("update name mismatch", createMem("UPN", "upn.>"),
                        r(API + "STREAM.UPDATE.UPN", "{\"name\":\"OTHER\",\"subjects\":[\"upn.>\"],\"storage\":\"memory\"}")),
                c("update into overlap", createMem("UO1", "uo1.>"), createMem("UO2", "uo2.>"),
                        r(API + "STREAM.UPDATE.UO2", "{\"name\":\"UO2\",\"subjects\":[\"uo1.x\"],\"storage\":\"memory\"}")),
                c("update malformed", createMem("UPM", "upm.>"), r(API + "STREAM.UPDATE.UPM", "{")),
                c("update lowers max_msgs", concat(s(createMem("UPL", "upl.*")), publishes("upl.", 5),
                        s(r(API + "STREAM.UPDATE.UPL", "{\"name\":\"UPL\",\"subjects\":[\"upl.*\"],\"storage\":\"memory\",\"max_msgs\":2}"),
                                r(API + "STREAM.INFO.UPL", "")))),
                c("update seals", concat(s(createMem("UPZ", "upz.*")), publishes("upz.", 2),
                        s(r(API + "STREAM.UPDATE.UPZ", "{\"name\":\"UPZ\",\"subjects\":[\"upz.*\"],\"storage\":\"memory\",\"sealed\":true}"),
                                r("upz.1", "after seal"), r(API + "STREAM.PURGE.UPZ", ""), r(API + "STREAM.MSG.DELETE.UPZ", "{\"seq\":1}")))),

                // ---- delete ----
                c("delete stream then info", createMem("DEL", "del.>"), r(API + "STREAM.DELETE.DEL", ""),
                        r(API + "STREAM.INFO.DEL", ""), r(API + "STREAM.DELETE.DEL", "")),

                // ---- publish acks ----
                c("publish acks and no stream", createMem("PA", "pa.*"), r("pa.1", "x"), r("pa.2", "y"), r("nostream.here", "z")),
                c("publish with msg id and duplicate", createMem("PD", "pd.*"),
                        h("pd.1", "Nats-Msg-Id: a1\r\n", "x"), h("pd.1", "Nats-Msg-Id: a1\r\n", "x"), h("pd.1", "Nats-Msg-Id: a2\r\n", "y")),
                c("publish expectations", createMem("PE", "pe.*"), r("pe.1", "x"),
                        h("pe.1", "Nats-Expected-Last-Sequence: 1\r\n", "ok"),
                        h("pe.1", "Nats-Expected-Last-Sequence: 1\r\n", "stale"),
                        h("pe.2", "Nats-Expected-Last-Subject-Sequence: 0\r\n", "first on pe.2"),
                        h("pe.2", "Nats-Expected-Last-Subject-Sequence: 0\r\n", "again"),
                        h("pe.1", "Nats-Expected-Stream: PE\r\n", "right stream"),
                        h("pe.1", "Nats-Expected-Stream: XX\r\n", "wrong stream"),
                        h("pe.1", "Nats-Msg-Id: m1\r\n", "with id"),
                        h("pe.1", "Nats-Expected-Last-Msg-Id: m1\r\n", "ok id"),
                        h("pe.1", "Nats-Expected-Last-Msg-Id: m1\r\n", "stale id"),
                        h("pe.1", "Nats-Expected-Last-Sequence: abc\r\n", "bad number")),
                c("publish over max_msg_size and discard new", create("PM", "{\"name\":\"PM\",\"subjects\":[\"pm\"],\"storage\":\"memory\","
                                + "\"max_msg_size\":10,\"max_msgs\":2,\"discard\":\"new\"}"),
                        r("pm", "0123456789abc"), r("pm", "1"), r("pm", "2"), r("pm", "3")),
                c("publish max_bytes discard new", create("PB", "{\"name\":\"PB\",\"subjects\":[\"pb\"],\"storage\":\"memory\","
                                + "\"max_bytes\":100,\"discard\":\"new\"}"),
                        r("pb", "x".repeat(40)), r("pb", "x".repeat(40)),
                        r("pb", "x".repeat(40)),
                        r(API + "STREAM.INFO.PB", "")),
                c("rollup", create("RU", "{\"name\":\"RU\",\"subjects\":[\"ru.*\"],\"storage\":\"memory\",\"allow_rollup_hdrs\":true}"),
                        r("ru.a", "1"), r("ru.a", "2"), r("ru.b", "3"), h("ru.a", "Nats-Rollup: sub\r\n", "rolled"),
                        r(API + "STREAM.INFO.RU", ""), h("ru.b", "Nats-Rollup: all\r\n", "all"),
                        r(API + "STREAM.INFO.RU", ""),
                        new Step("ru.b", "Nats-Rollup: bogus\r\n", "bad", true, QUIET_TIMEOUT)
                                ),
                c("republish", create("RP", "{\"name\":\"RP\",\"subjects\":[\"rp.>\"],\"storage\":\"memory\","
                                + "\"republish\":{\"src\":\"rp.>\",\"dest\":\"_INBOX.jsdiff.rp.>\"}}"),
                        r("rp.a", "one"), await("_INBOX.jsdiff.rp."), h("rp.b", "X-A: 1\r\n", "two"), await("_INBOX.jsdiff.rp."),
                        r("rp.a", "three"), await("_INBOX.jsdiff.rp.")),
                c("republish headers only", create("RH", "{\"name\":\"RH\",\"subjects\":[\"rh.>\"],\"storage\":\"memory\","
                                + "\"republish\":{\"src\":\"rh.>\",\"dest\":\"_INBOX.jsdiff.rh.>\",\"headers_only\":true}}"),
                        r("rh.a", "12345"), await("_INBOX.jsdiff.rh.")),
                c("republish cycle refused", create("RC", "{\"name\":\"RC\",\"subjects\":[\"rc.>\"],\"storage\":\"memory\","
                        + "\"republish\":{\"src\":\">\",\"dest\":\"rc.x\"}}")),
                c("direct get keeps stored header bytes", create("DH", "{\"name\":\"DH\",\"subjects\":[\"dh.*\"],"
                                + "\"storage\":\"file\",\"allow_direct\":true}"),
                        h("dh.a", "X-Raw:v\r\nX-Two:  spaced\r\n", "body"), r(API + "DIRECT.GET.DH.dh.a", ""),
                        r(API + "STREAM.MSG.GET.DH", "{\"seq\":1}")),
                c("rollup not allowed", createMem("RN", "rn.*"), h("rn.a", "Nats-Rollup: sub\r\n", "x")),
                c("deny delete and purge", create("DN", "{\"name\":\"DN\",\"subjects\":[\"dn\"],\"storage\":\"memory\","
                                + "\"deny_delete\":true,\"deny_purge\":true}"),
                        r("dn", "1"), r(API + "STREAM.MSG.DELETE.DN", "{\"seq\":1}"), r(API + "STREAM.PURGE.DN", "")),

                // ---- purge ----
                c("purge variants", concat(s(createMem("PU", "pu.*")), publishes("pu.", 12),
                        s(r(API + "STREAM.PURGE.PU", "{\"filter\":\"pu.0\"}"),
                                r(API + "STREAM.PURGE.PU", "{\"filter\":\"pu.1\",\"keep\":1}"),
                                r(API + "STREAM.PURGE.PU", "{\"seq\":9}"),
                                r(API + "STREAM.INFO.PU", ""),
                                r(API + "STREAM.PURGE.PU", "{\"keep\":1}"),
                                r(API + "STREAM.INFO.PU", ""),
                                r(API + "STREAM.PURGE.PU", "{\"seq\":5,\"keep\":1}"),
                                r(API + "STREAM.PURGE.PU", "{bad"),
                                r(API + "STREAM.PURGE.PU", ""),
                                r(API + "STREAM.INFO.PU", ""),
                                r("pu.0", "after purge")))),
                c("purge wildcard filter, filter with seq", concat(s(createMem("PX", "px.>")), publishes("px.a.", 6), publishes("px.b.", 3),
                        s(r(API + "STREAM.PURGE.PX", "{\"filter\":\"px.b.*\"}"), r(API + "STREAM.INFO.PX", ""),
                                r(API + "STREAM.PURGE.PX", "{\"filter\":\"px.a.>\",\"seq\":4}"), r(API + "STREAM.INFO.PX", ""),
                                r(API + "STREAM.PURGE.PX", "{\"filter\":\"px.*.1\",\"keep\":0}"), r(API + "STREAM.INFO.PX", "")))),
                c("purge filter with wildcard", concat(s(createMem("PW", "pw.>")), publishes("pw.a.", 6),
                        s(r(API + "STREAM.PURGE.PW", "{\"filter\":\"pw.a.*\",\"keep\":2}"), r(API + "STREAM.INFO.PW", "")))),

                // ---- message get / delete ----
                c("msg get variants", concat(s(createMem("MG", "mg.*")), publishes("mg.", 6),
                        s(h("mg.h", "X-A: 1\r\n", "with header"),
                                r(API + "STREAM.MSG.GET.MG", "{\"seq\":1}"),
                                r(API + "STREAM.MSG.GET.MG", "{\"seq\":7}"),
                                r(API + "STREAM.MSG.GET.MG", "{\"last_by_subj\":\"mg.1\"}"),
                                r(API + "STREAM.MSG.GET.MG", "{\"next_by_subj\":\"mg.2\",\"seq\":1}"),
                                r(API + "STREAM.MSG.GET.MG", "{\"seq\":99}"),
                                r(API + "STREAM.MSG.GET.MG", "{\"last_by_subj\":\"mg.none\"}"),
                                r(API + "STREAM.MSG.GET.MG", "{}"),
                                r(API + "STREAM.MSG.GET.MG", ""),
                                r(API + "STREAM.MSG.GET.MG", "{bad"),
                                r(API + "STREAM.MSG.GET.MG", "{\"seq\":1,\"last_by_subj\":\"mg.1\"}"),
                                r(API + "STREAM.MSG.GET.NOPE", "{\"seq\":1}")))),
                c("msg delete variants", concat(s(createMem("MD", "md.*")), publishes("md.", 4),
                        s(r(API + "STREAM.MSG.DELETE.MD", "{\"seq\":2}"),
                                r(API + "STREAM.MSG.DELETE.MD", "{\"seq\":2}"),
                                r(API + "STREAM.MSG.DELETE.MD", "{\"seq\":3,\"no_erase\":true}"),
                                r(API + "STREAM.MSG.DELETE.MD", "{\"seq\":99}"),
                                r(API + "STREAM.MSG.DELETE.MD", "{}"),
                                r(API + "STREAM.MSG.DELETE.MD", "{bad"),
                                r(API + "STREAM.MSG.DELETE.NOPE", "{\"seq\":1}"),
                                r(API + "STREAM.MSG.GET.MD", "{\"seq\":2}"),
                                r(API + "STREAM.INFO.MD", "")))),
                c("direct get", concat(s(create("DG", "{\"name\":\"DG\",\"subjects\":[\"dg.*\"],\"storage\":\"memory\",\"allow_direct\":true}")),
                        publishes("dg.", 5),
                        s(r(API + "DIRECT.GET.DG", "{\"seq\":2}"),
                                r(API + "DIRECT.GET.DG", "{\"last_by_subj\":\"dg.0\"}"),
                                r(API + "DIRECT.GET.DG.dg.1", ""),
                                r(API + "DIRECT.GET.DG", "{\"seq\":99}"),
                                r(API + "DIRECT.GET.DG", "{\"next_by_subj\":\"dg.2\",\"seq\":1}"),
                                r(API + "DIRECT.GET.DG.dg.none", ""),
                                r(API + "DIRECT.GET.DG", "{bad"),
                                r(API + "DIRECT.GET.DG", "")))),
                c("direct get not allowed", concat(s(createMem("DX", "dx.*")), publishes("dx.", 1),
                        // nothing serves these direct gets: nats-server 2.15 answers a no_responders
                        // client with 503 and Nats-Subject; an unknown API subject stays silent
                        s(r(API + "DIRECT.GET.DX", "{\"seq\":1}"), r(API + "DIRECT.GET.NOSUCH", "{\"seq\":1}"),
                                r(API + "DIRECT.GET.NOSUCH.dx.1", ""), r(API + "DIRECT.GET", "{\"seq\":1}"),
                                q(API + "NO.SUCH.THING", "")))),

                // ---- consumers ----
                c("durable consumer create, info, names, list, delete", createMem("CS", "cs.*"), r("cs.1", "x"), r("cs.2", "y"),
                        r(API + "CONSUMER.DURABLE.CREATE.CS.D1", "{\"stream_name\":\"CS\",\"config\":{\"durable_name\":\"D1\","
                                + "\"ack_policy\":\"explicit\",\"deliver_policy\":\"all\"}}"),
                        r(API + "CONSUMER.INFO.CS.D1", ""),
                        r(API + "CONSUMER.NAMES.CS", ""),
                        r(API + "CONSUMER.LIST.CS", ""),
                        r(API + "CONSUMER.DELETE.CS.D1", ""),
                        r(API + "CONSUMER.INFO.CS.D1", ""),
                        r(API + "CONSUMER.DELETE.CS.D1", "")),
                c("consumer create named form and filtered form", createMem("CF", "cf.*"), r("cf.a", "1"), r("cf.b", "2"),
                        r(API + "CONSUMER.CREATE.CF.C1", "{\"stream_name\":\"CF\",\"config\":{\"name\":\"C1\",\"durable_name\":\"C1\","
                                + "\"ack_policy\":\"explicit\"}}"),
                        r(API + "CONSUMER.CREATE.CF.C2.cf.b", "{\"stream_name\":\"CF\",\"config\":{\"name\":\"C2\",\"durable_name\":\"C2\","
                                + "\"ack_policy\":\"explicit\",\"filter_subject\":\"cf.b\"}}"),
                        r(API + "CONSUMER.CREATE.CF.C3.cf.a", "{\"stream_name\":\"CF\",\"config\":{\"name\":\"C3\",\"durable_name\":\"C3\","
                                + "\"ack_policy\":\"explicit\",\"filter_subject\":\"cf.b\"}}"),
                        r(API + "CONSUMER.NAMES.CF", "")),
                c("consumer errors", createMem("CE", "ce.*"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"CE\",\"config\":{\"durable_name\":\"OTHER\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"XX\",\"config\":{\"durable_name\":\"D\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.NOPE.D", "{\"stream_name\":\"NOPE\",\"config\":{\"durable_name\":\"D\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{bad"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", ""),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"CE\"}"),
                        // 2.9.10 refuses a filter outside the stream's subjects (10093); 2.15.1 and weft accept it
                        r(API + "CONSUMER.DURABLE.CREATE.CE.DZ", "{\"stream_name\":\"CE\",\"config\":{\"durable_name\":\"DZ\","
                                + "\"filter_subject\":\"zz.>\"}}"),
                        r(API + "CONSUMER.DELETE.CE.DZ", ""),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"CE\",\"config\":{\"durable_name\":\"D\","
                                + "\"ack_policy\":\"none\",\"max_ack_pending\":5}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"CE\",\"config\":{\"durable_name\":\"D\","
                                + "\"deliver_policy\":\"by_start_sequence\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"CE\",\"config\":{\"durable_name\":\"D\","
                                + "\"deliver_policy\":\"all\",\"opt_start_seq\":5}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"CE\",\"config\":{\"durable_name\":\"D\","
                                + "\"ack_policy\":\"sometimes\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CE.D", "{\"stream_name\":\"CE\",\"config\":{\"durable_name\":\"D\","
                                + "\"max_waiting\":10,\"deliver_subject\":\"push.d\"}}"),
                        r(API + "CONSUMER.INFO.CE.NOPE", ""),
                        r(API + "CONSUMER.DELETE.CE.NOPE", ""),
                        r(API + "CONSUMER.INFO.NOPE.D", ""),
                        r(API + "CONSUMER.NAMES.NOPE", ""),
                        r(API + "CONSUMER.NAMES.CE", "{bad"),
                        r(API + "CONSUMER.NAMES.CE", "")),
                // Nats-Required-Api-Level (2.12+): above the server's level or not a number fails
                // with 412/10185 before anything else; 2.15.1 is at level 5 and weft at 0, so only
                // levels both refuse (or both meet) are compared
                c("required api level", create("RL", "{\"name\":\"RL\",\"subjects\":[\"rl.*\"],\"storage\":\"memory\",\"allow_direct\":true}"),
                        r("rl.1", "x"),
                        h(API + "INFO", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "INFO", "Nats-Required-Api-Level: 0\r\n", ""),
                        h(API + "STREAM.CREATE.RL2", "Nats-Required-Api-Level: x\r\n", "{\"name\":\"RL2\"}"),
                        h(API + "STREAM.INFO.RL", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "STREAM.INFO.NOPE", "Nats-Required-Api-Level: 99\r\n", "{bad"),
                        h(API + "STREAM.NAMES", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "STREAM.LIST", "Nats-Required-Api-Level: -\r\n", ""),
                        r(API + "STREAM.LIST", "{bad"),
                        h(API + "DIRECT.GET.RL.rl.1", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "STREAM.MSG.GET.RL", "Nats-Required-Api-Level: 99\r\n", "{\"seq\":1}"),
                        h(API + "STREAM.PURGE.RL", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "DIRECT.GET.RL", "Nats-Required-Api-Level: 99\r\n", "{\"seq\":1}"),
                        h(API + "CONSUMER.DURABLE.CREATE.RL.D", "Nats-Required-Api-Level: 99\r\n",
                                "{\"stream_name\":\"RL\",\"config\":{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.RL.D", "{\"stream_name\":\"RL\",\"config\":{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}}"),
                        h(API + "CONSUMER.INFO.RL.D", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "CONSUMER.NAMES.RL", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "CONSUMER.LIST.NOPE", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "CONSUMER.MSG.NEXT.RL.D", "Nats-Required-Api-Level: 99\r\n", "{\"batch\":1,\"no_wait\":true}"),
                        h(API + "CONSUMER.PAUSE.RL.D", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "CONSUMER.DELETE.RL.D", "Nats-Required-Api-Level: 99\r\n", ""),
                        h(API + "STREAM.DELETE.RL", "Nats-Required-Api-Level: 99\r\n", ""),
                        r(API + "STREAM.INFO.RL", "")),
                c("consumer request decoding order", createMem("CO", "co.*"),
                        r(API + "CONSUMER.CREATE.NOPE", ""),
                        r(API + "CONSUMER.CREATE.NOPE", "{bad"),
                        r(API + "CONSUMER.CREATE.NOPE", "{\"stream_name\":\"X\"}"),
                        r(API + "CONSUMER.CREATE.NOPE", "{\"stream_name\":\"NOPE\"}"),
                        r(API + "CONSUMER.CREATE.CO", "{\"config\":{}}"),
                        r(API + "CONSUMER.CREATE.CO", "{\"stream_name\":\"CO\",\"config\":5}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CO.D", "{\"stream_name\":\"CO\",\"config\":null}"),
                        r(API + "CONSUMER.CREATE.CO.X", "{\"stream_name\":\"CO\"}"),
                        r(API + "CONSUMER.NAMES.NOPE", "{bad"),
                        r(API + "CONSUMER.LIST.NOPE", ""),
                        r(API + "CONSUMER.LIST.CO", "{bad"),
                        r(API + "CONSUMER.NAMES.CO", "{\"offset\":\"x\"}"),
                        r(API + "CONSUMER.MSG.NEXT.CO.X", "{\"batch\":\"x\"}"),
                        r(API + "CONSUMER.MSG.NEXT.CO.X", "{\"batch\":1}x"),
                        r(API + "CONSUMER.MSG.NEXT.CO.X", "{\"batch\":1,"),
                        r(API + "CONSUMER.MSG.NEXT.CO.X", "{\"batch\":1,\"expires\":\"a\"}"),
                        r(API + "CONSUMER.MSG.NEXT.CO.X", "{\"batch\":1,\"no_wait\":true}"),
                        q(API + "CONSUMER.MSG.NEXT.NOPE.X", "{\"batch\":1,\"no_wait\":true}")
                                // 2.15.1 answers 503 no-responders (JetStreamLevelDifferentialTest compares that)
                                ),
                c("consumer update rules", createMem("CU", "cu.*"),
                        r(API + "CONSUMER.DURABLE.CREATE.CU.D", "{\"stream_name\":\"CU\",\"config\":{\"durable_name\":\"D\","
                                + "\"ack_policy\":\"explicit\",\"max_deliver\":3}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CU.D", "{\"stream_name\":\"CU\",\"config\":{\"durable_name\":\"D\","
                                + "\"ack_policy\":\"explicit\",\"max_deliver\":5,\"description\":\"more\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CU.D", "{\"stream_name\":\"CU\",\"config\":{\"durable_name\":\"D\","
                                + "\"ack_policy\":\"all\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.CU.D", "{\"stream_name\":\"CU\",\"config\":{\"durable_name\":\"D\","
                                + "\"ack_policy\":\"explicit\",\"deliver_subject\":\"push.cu\"}}")),
                c("max consumers", create("MC", "{\"name\":\"MC\",\"subjects\":[\"mc\"],\"storage\":\"memory\",\"max_consumers\":1}"),
                        r(API + "CONSUMER.DURABLE.CREATE.MC.A", "{\"stream_name\":\"MC\",\"config\":{\"durable_name\":\"A\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.MC.B", "{\"stream_name\":\"MC\",\"config\":{\"durable_name\":\"B\"}}")),
                c("work queue consumer rules", create("WQC", "{\"name\":\"WQC\",\"subjects\":[\"wqc.*\"],\"storage\":\"memory\","
                                + "\"retention\":\"workqueue\"}"),
                        r(API + "CONSUMER.DURABLE.CREATE.WQC.A", "{\"stream_name\":\"WQC\",\"config\":{\"durable_name\":\"A\","
                                + "\"ack_policy\":\"explicit\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.WQC.B", "{\"stream_name\":\"WQC\",\"config\":{\"durable_name\":\"B\","
                                + "\"ack_policy\":\"explicit\"}}"),
                        r(API + "CONSUMER.DURABLE.CREATE.WQC.C", "{\"stream_name\":\"WQC\",\"config\":{\"durable_name\":\"C\","
                                + "\"ack_policy\":\"none\",\"filter_subject\":\"wqc.c\"}}")),
                c("pull next on a durable", concat(s(createMem("PN", "pn.*")), publishes("pn.", 3),
                        s(r(API + "CONSUMER.DURABLE.CREATE.PN.D", "{\"stream_name\":\"PN\",\"config\":{\"durable_name\":\"D\","
                                        + "\"ack_policy\":\"none\"}}"),
                                r(API + "CONSUMER.MSG.NEXT.PN.D", "{\"batch\":1}"),
                                r(API + "CONSUMER.MSG.NEXT.PN.D", "1"),
                                r(API + "CONSUMER.MSG.NEXT.PN.D", ""),
                                r(API + "CONSUMER.MSG.NEXT.PN.D", "{\"batch\":1,\"no_wait\":true}"),
                                r(API + "CONSUMER.MSG.NEXT.PN.D", "{\"batch\":1,\"expires\":300000000}"),
                                r(API + "CONSUMER.MSG.NEXT.PN.D", "{\"batch\":1,\"no_wait\":true,\"max_bytes\":1}"),
                                r(API + "CONSUMER.MSG.NEXT.PN.D", "{bad"),
                                q(API + "CONSUMER.MSG.NEXT.PN.NOPE", "{\"batch\":1,\"no_wait\":true}")
                                // 2.15.1 answers 503 no-responders (JetStreamLevelDifferentialTest compares that)
                                ,
                                r(API + "CONSUMER.INFO.PN.D", "")))),

                // ---- unknown / odd API subjects ----
                // nats-server does not answer API subjects it does not know
                c("unknown api subjects", q(API + "STREAM.FROB.X", ""), q(API + "STREAM.INFO", ""),
                        r(API + "INFO", "")));
    }

    static JsServer reference;
    static JsServer candidate;
    static Connection refConn;
    static Connection candConn;
    static TestServers.Target candidateTarget;
    static boolean print;

    @BeforeAll
    static void startServers() throws Exception {
        boolean weft = TestServers.target() == TestServers.Target.WEFT
                || "on".equalsIgnoreCase(System.getProperty("weft.diff", "off"));
        candidateTarget = weft ? TestServers.Target.WEFT : TestServers.Target.NATS_NEWEST;
        print = Boolean.getBoolean("weft.diff.print");
        reference = JsServer.start(TestServers.Target.NATS_NEWEST, "");
        candidate = JsServer.start(candidateTarget, "");
        refConn = Clients.connect(reference.server);
        candConn = Clients.connect(candidate.server);
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {refConn, candConn, reference, candidate}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static void deleteAllStreams(Connection c) throws Exception {
        JetStreamManagement jsm = c.jetStreamManagement();
        for (String name : jsm.getStreamNames()) {
            jsm.deleteStream(name);
        }
    }

    static List<String> transcript(JsServer server, Case tc) {
        List<String> out = new ArrayList<>();
        try (JsApiExchange x = JsApiExchange.open(server.port())) {
            for (Step step : tc.steps()) {
                if (step.subject().startsWith(AWAIT)) {
                    JsApiExchange.Reply m = x.awaitMessage(step.subject().substring(AWAIT.length()), REPLY_TIMEOUT);
                    out.add(m == null ? "<no message>" : "message subject=" + m.subject() + " " + JsApiExchange.normalise(m));
                } else if (step.reply()) {
                    out.add(JsApiExchange.normalise(x.request(step.subject(), step.headers(), step.payload(), step.timeout())));
                } else {
                    x.publish(step.subject(), step.payload());
                    out.add("(published)");
                }
            }
        } catch (Exception e) {
            out.add("<exchange failed: " + e + ">");
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameReplies(Case tc) throws Exception {
        deleteAllStreams(refConn);
        String cleanupProblem = "";
        try {
            deleteAllStreams(candConn);
        } catch (Exception e) {
            // still compare: the transcript shows the first wrong reply better than this exception
            cleanupProblem = "\n(deleting the candidate's streams before the case failed: " + e + ")";
        }
        CompletableFuture<List<String>> left = CompletableFuture.supplyAsync(() -> transcript(reference, tc), BOTH);
        CompletableFuture<List<String>> right = CompletableFuture.supplyAsync(() -> transcript(candidate, tc), BOTH);
        List<String> l = new ArrayList<>(left.get());
        List<String> r = new ArrayList<>(right.get());
        for (int i = 0; i < Math.min(l.size(), r.size()); i++) {
            if (i < tc.steps().size()) {
                Step st = tc.steps().get(i);
                if (st.quirk() != null) {
                    l.set(i, "(not compared: " + st.quirk() + ") " + l.get(i));
                    r.set(i, "(not compared: " + st.quirk() + ") " + r.get(i));
                    continue;
                }
                if (!st.ignored().isEmpty()) {
                    l.set(i, JsApiExchange.withoutKeys(l.get(i), st.ignored()));
                    r.set(i, JsApiExchange.withoutKeys(r.get(i), st.ignored()));
                }
            }
        }
        String rightName = candidateTarget == TestServers.Target.WEFT ? "weft" : "nats-server#2";
        String report = diff(tc, l, rightName, r);
        if (print) {
            System.out.println("== " + tc.name() + "\n" + report);
        }
        if (!comparable(l).equals(comparable(r))) {
            fail("case '" + tc.name() + "' differs:\n" + report + cleanupProblem);
        }
        for (String reply : l) {
            assertTrue(!reply.startsWith("<exchange failed"), "the reference exchange failed: " + reply);
        }
    }

    /** The transcript with not-compared steps blanked. */
    static List<String> comparable(List<String> transcript) {
        return transcript.stream().map(x -> x.startsWith("(not compared: ") ? "(not compared)" : x).toList();
    }

    static String diff(Case tc, List<String> left, String rightName, List<String> right) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.max(left.size(), right.size()); i++) {
            String step = i < tc.steps().size() ? tc.steps().get(i).toString() : "(after the last step)";
            String l = i < left.size() ? left.get(i) : "(nothing)";
            String r = i < right.size() ? right.get(i) : "(nothing)";
            boolean same = l.equals(r) || l.startsWith("(not compared: ") && r.startsWith("(not compared: ");
            sb.append(String.format(" %s %-2d %s%n", same ? " " : "!", i, step));
            if (l.equals(r)) {
                sb.append("        ").append(l).append('\n');
            } else {
                sb.append("      - nats-server: ").append(l).append('\n');
                sb.append("      + ").append(rightName).append(": ").append(r).append('\n');
            }
        }
        return sb.toString();
    }

    @Test
    void caseNamesAreUniqueAndThereAreEnough() {
        Set<String> names = new HashSet<>();
        for (Case tc : cases()) {
            assertTrue(names.add(tc.name()), "duplicate case name " + tc.name());
        }
        assertTrue(names.size() >= 40, "at least 40 cases, have " + names.size());
    }

    @Test
    void normalisationDropsVolatileFieldsAndSortsKeys() {
        String a = JsApiExchange.normalise(new JsApiExchange.Reply(JsApiExchange.INBOX + ".1", null,
                "{\"type\":\"t\",\"created\":\"2020\",\"config\":{\"name\":\"A\"},\"cluster\":{\"leader\":\"n1\"}}".getBytes()));
        String b = JsApiExchange.normalise(new JsApiExchange.Reply(JsApiExchange.INBOX + ".1", null,
                "{\"config\":{\"name\":\"A\"},\"type\":\"t\",\"created\":\"2021\",\"cluster\":{\"leader\":\"n2\"}}".getBytes()));
        assertEquals(a, b);
        assertEquals("{\"config\":{\"name\":\"A\"},\"type\":\"t\"}", a);
        String withHeaders = JsApiExchange.normalise(new JsApiExchange.Reply(JsApiExchange.INBOX + ".1", "NATS/1.0\r\nNats-Time-Stamp: 123\r\nNats-Sequence: 2\r\n\r\n",
                "hi".getBytes()));
        assertEquals("headers[NATS/1.0 | Nats-Time-Stamp: <volatile> | Nats-Sequence: 2] hi", withHeaders);
        assertEquals("<no reply>", JsApiExchange.normalise(null));
        // a newer field is tolerated only where the reference lacks it
        assertEquals("{\"a\":1}", JsApiExchange.withoutNewerFields("{\"a\":1}", "{\"a\":1,\"metadata\":{}}"));
        assertEquals("{\"a\":1,\"bogus\":2}", JsApiExchange.withoutNewerFields("{\"a\":1}", "{\"a\":1,\"bogus\":2}"));
        assertEquals("{\"s\":{\"m\":1}}", JsApiExchange.withoutKeys("{\"s\":{\"m\":1,\"num_subjects\":2}}", Set.of("num_subjects")));
    }
}
