// Client calls of the official nats.js v3 packages, run as named cases against one server.
//
//   node cases.mjs nats://127.0.0.1:4222 [CASE...]      (no CASE: every case, in order)
//   node cases.mjs --list
//   NJS_ASSUME_SERVER_VERSION=2.15.1 node cases.mjs URL [CASE...]   (the client's version gate lifted,
//                                     to see what a server announcing a lower version would do)
//
// Each case prints one line, {"case":NAME,"result":...}, where the result is what the client saw,
// normalized so that two servers that behave alike print the same line: values, error classes,
// JetStream error codes and texts are kept; ids, timestamps, server names and durations are
// dropped or turned into facts ("at once"). Keys are sorted. The JUnit test
// io.weft.server.it.NatsJsDifferentialTest runs it against weft and nats-server 2.15.1 and
// compares the lines case by case.
import { connect, headers, createInbox } from "@nats-io/transport-node";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { parseSemVer } from "@nats-io/nats-core/internal";

const te = new TextEncoder();
const td = new TextDecoder();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ normalizing

/** JSON with sorted keys, so that key order (which servers may differ in) does not matter. */
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v).sort()) {
      if (v[k] !== undefined) out[k] = canonical(v[k]);
    }
    return out;
  }
  return v;
}

/** Removes what differs between any two servers or runs: inbox tokens, nuids. */
function scrub(s) {
  return String(s)
    .replace(/_INBOX\.[A-Za-z0-9.]+/g, "_INBOX.*")
    .replace(/\b[A-Za-z0-9]{22}\b/g, "<nuid>");
}

/** What a client sees of an error: its class, the JetStream code and status, the text. */
function err(e) {
  if (!(e instanceof Error)) return { thrown: scrub(e) };
  const o = { error: e.constructor.name, message: scrub(e.message) };
  if (typeof e.code === "number") o.code = e.code;
  if (typeof e.status === "number") o.status = e.status;
  if (e.cause instanceof Error) o.cause = { error: e.cause.constructor.name, message: scrub(e.cause.message) };
  return o;
}

/** Runs fn and returns its value, or the normalized error it threw. */
async function attempt(fn) {
  try {
    const v = await fn();
    return v === undefined ? "ok" : v;
  } catch (e) {
    return err(e);
  }
}

function ack(pa) {
  // a PubAck: everything but the domain (absent on both); `val` and `batch`/`count` when present
  const { domain, ...rest } = pa;
  if (typeof rest.batch === "string") rest.batch = "<id>";
  return rest;
}

/** Header values by name; the ids a client or server made up are replaced by "<id>". */
function hdrs(h, drop = []) {
  if (!h) return null;
  const o = {};
  for (const [k, v] of h) {
    if (drop.includes(k)) continue;
    o[k] = ["Nats-Batch-Id", "Nats-Pin-Id"].includes(k) ? v.map(() => "<id>") : v;
  }
  return o;
}

function stored(sm) {
  if (!sm) return null;
  return {
    subject: sm.subject,
    seq: sm.seq,
    data: td.decode(sm.data),
    header: hdrs(sm.header, ["Nats-Time-Stamp"]),
  };
}

/** The parts of a stream config a case checks (metadata differs by design: _nats.ver, _nats.level). */
function streamView(si) {
  const c = si.config;
  return {
    name: c.name,
    subjects: c.subjects,
    retention: c.retention,
    storage: c.storage,
    max_msgs: c.max_msgs,
    allow_msg_ttl: c.allow_msg_ttl,
    subject_delete_marker_ttl: c.subject_delete_marker_ttl,
    allow_direct: c.allow_direct,
    allow_atomic: c.allow_atomic,
    allow_msg_counter: c.allow_msg_counter,
    state: { messages: si.state.messages, first_seq: si.state.first_seq, last_seq: si.state.last_seq },
  };
}

function consumerView(ci) {
  return {
    name: ci.name,
    num_pending: ci.num_pending,
    num_ack_pending: ci.num_ack_pending,
    num_redelivered: ci.num_redelivered,
    delivered: { consumer_seq: ci.delivered.consumer_seq, stream_seq: ci.delivered.stream_seq },
    ack_floor: { consumer_seq: ci.ack_floor.consumer_seq, stream_seq: ci.ack_floor.stream_seq },
    paused: ci.paused === true,
    priority_groups: (ci.priority_groups || []).map((g) => ({ group: g.group, pinned: typeof g.pinned_client_id === "string" && g.pinned_client_id !== "" })),
  };
}

async function fetchAll(c, opts) {
  const out = [];
  const it = await c.fetch(opts);
  for await (const m of it) {
    out.push(m);
  }
  return out;
}

function msgView(m) {
  return { subject: m.subject, seq: m.seq, data: m.string(), redelivered: m.redelivered };
}

async function cleanStream(jsm, name) {
  try {
    await jsm.streams.delete(name);
  } catch {
    // absent: fine
  }
}

// ------------------------------------------------------------------ the cases

const cases = {};

cases.core_pubsub = async ({ nc }) => {
  const sub = nc.subscribe("njs.core.>", { max: 3 });
  const got = (async () => {
    const out = [];
    for await (const m of sub) out.push({ subject: m.subject, data: m.string() });
    return out;
  })();
  nc.publish("njs.core.a", "one");
  nc.publish("njs.core.b.c", "two");
  nc.publish("njs.other", "not seen");
  nc.publish("njs.core.d", te.encode("three"));
  await nc.flush();
  return { received: await got };
};

cases.core_queue_group = async ({ nc }) => {
  const counts = [0, 0];
  const subs = [0, 1].map((i) => nc.subscribe("njs.q", { queue: "workers", callback: () => counts[i]++ }));
  await nc.flush();
  for (let i = 0; i < 20; i++) nc.publish("njs.q", `${i}`);
  await nc.flush();
  await sleep(200);
  subs.forEach((s) => s.unsubscribe());
  return { total: counts[0] + counts[1], each_at_most_all: counts.every((c) => c <= 20) };
};

cases.core_request_reply = async ({ nc }) => {
  const svc = nc.subscribe("njs.svc", {
    callback: (_e, m) => {
      const h = headers();
      h.set("X-Echo", m.headers?.get("X-In") ?? "none");
      m.respond(`echo:${m.string()}`, { headers: h });
    },
  });
  await nc.flush();
  const h = headers();
  h.set("X-In", "hello");
  const r = await nc.request("njs.svc", "ping", { timeout: 2000, headers: h });
  const many = [];
  for (let i = 0; i < 3; i++) many.push((await nc.request("njs.svc", `${i}`, { timeout: 2000 })).string());
  svc.unsubscribe();
  return { reply: r.string(), echo: r.headers?.get("X-Echo"), many };
};

cases.core_headers = async ({ nc }) => {
  const sub = nc.subscribe("njs.hdr", { max: 2 });
  const got = (async () => {
    const out = [];
    for await (const m of sub) {
      out.push({ data: m.string(), headers: hdrs(m.headers), hasHeaders: m.headers !== undefined });
    }
    return out;
  })();
  const h = headers();
  h.set("A", "1");
  h.append("A", "2");
  h.set("B-Key", "value with spaces");
  nc.publish("njs.hdr", "with", { headers: h });
  nc.publish("njs.hdr", "without");
  await nc.flush();
  return { received: await got };
};

cases.core_no_responders = async ({ nc }) => {
  const t = Date.now();
  const r = await attempt(() => nc.request("njs.nobody.home", "x", { timeout: 5000 }));
  return { result: r, at_once: Date.now() - t < 2000 };
};

cases.js_stream_basics = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_S");
  const out = {};
  out.add = streamView(await jsm.streams.add({ name: "NJS_S", subjects: ["njs.s.>"], storage: StorageType.File, max_msgs: 100 }));
  out.acks = [];
  out.acks.push(ack(await js.publish("njs.s.a", "1")));
  out.acks.push(ack(await js.publish("njs.s.b", "2", { msgID: "m2" })));
  out.acks.push(ack(await js.publish("njs.s.b", "2 again", { msgID: "m2" })));
  out.acks.push(ack(await js.publish("njs.s.a", "3", { expect: { lastSequence: 2 } })));
  out.wrong_last_seq = await attempt(() => js.publish("njs.s.a", "4", { expect: { lastSequence: 1 } }));
  out.wrong_stream = await attempt(() => js.publish("njs.s.a", "5", { expect: { streamName: "OTHER" } }));
  out.no_stream = await attempt(() => js.publish("njs.nostream", "x", { retries: 1, timeout: 1000 }));
  out.get_seq = stored(await jsm.streams.getMessage("NJS_S", { seq: 2 }));
  out.get_last = stored(await jsm.streams.getMessage("NJS_S", { last_by_subj: "njs.s.a" }));
  out.get_missing = await attempt(() => jsm.streams.getMessage("NJS_S", { seq: 99 }));
  out.delete_msg = await jsm.streams.deleteMessage("NJS_S", 1);
  out.info = streamView(await jsm.streams.info("NJS_S"));
  out.update = streamView(await jsm.streams.update("NJS_S", { subjects: ["njs.s.>", "njs.s2.>"], max_msgs: 50 }));
  out.names = [];
  for await (const n of jsm.streams.names()) if (n === "NJS_S") out.names.push(n);
  out.purge = await jsm.streams.purge("NJS_S", { filter: "njs.s.b" });
  out.after_purge = streamView(await jsm.streams.info("NJS_S"));
  out.bad_update = await attempt(() => jsm.streams.update("NJS_S", { storage: StorageType.Memory }));
  out.delete = await jsm.streams.delete("NJS_S");
  out.info_missing = await attempt(() => jsm.streams.info("NJS_S"));
  return out;
};

cases.js_consumer_basics = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_C");
  const out = {};
  await jsm.streams.add({ name: "NJS_C", subjects: ["njs.c.>"] });
  for (let i = 1; i <= 5; i++) await js.publish(`njs.c.${i % 2 ? "odd" : "even"}`, `${i}`);
  out.add = consumerView(await jsm.consumers.add("NJS_C", { durable_name: "D", ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000 }));
  const c = await js.consumers.get("NJS_C", "D");
  const first = await fetchAll(c, { max_messages: 3, expires: 2000 });
  out.first = first.map(msgView);
  first[0].ack();
  first[1].nak();
  await first[2].ackAck();
  out.after_acks = consumerView(await jsm.consumers.info("NJS_C", "D"));
  const second = await fetchAll(c, { max_messages: 10, expires: 2000 });
  out.second = second.map(msgView);
  for (const m of second) await m.ackAck();
  out.final = consumerView(await c.info());
  out.next_empty = await attempt(async () => (await c.next({ expires: 1000 })) === null ? "null" : "message");
  out.filtered = consumerView(await jsm.consumers.add("NJS_C", { name: "F", filter_subjects: ["njs.c.even"], ack_policy: AckPolicy.None }));
  out.filtered_msgs = (await fetchAll(await js.consumers.get("NJS_C", "F"), { max_messages: 5, expires: 1500 })).map(msgView);
  out.last_per_subject_unfiltered = await attempt(() => jsm.consumers.add("NJS_C", { name: "L", deliver_policy: DeliverPolicy.LastPerSubject, ack_policy: AckPolicy.Explicit }));
  out.names = [];
  for await (const ci of jsm.consumers.list("NJS_C")) out.names.push(ci.name);
  out.names.sort();
  out.delete = await jsm.consumers.delete("NJS_C", "D");
  out.info_missing = await attempt(() => jsm.consumers.info("NJS_C", "D"));
  out.get_missing = await attempt(() => js.consumers.get("NJS_C", "D"));
  await jsm.streams.delete("NJS_C");
  return out;
};

/** Where a new consumer stands before its first delivery: delivered and ack floor by deliver policy. */
cases.consumer_start_position = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_POS");
  await jsm.streams.add({ name: "NJS_POS", subjects: ["njs.pos.>"] });
  for (let i = 1; i <= 6; i++) await js.publish(`njs.pos.${i % 2}`, `${i}`);
  await jsm.streams.purge("NJS_POS", { seq: 3 });
  const out = {};
  for (const [n, cfg] of [
    ["all", { deliver_policy: DeliverPolicy.All }],
    ["new", { deliver_policy: DeliverPolicy.New }],
    ["last", { deliver_policy: DeliverPolicy.Last }],
    ["start_seq_4", { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 4 }],
    ["start_seq_before_first", { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 }],
    ["last_per_subject", { deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: "njs.pos.>" }],
  ]) {
    const ci = await jsm.consumers.add("NJS_POS", { name: n, ack_policy: AckPolicy.Explicit, ...cfg });
    out[n] = { delivered: ci.delivered.stream_seq, ack_floor: ci.ack_floor.stream_seq, num_pending: ci.num_pending };
  }
  await jsm.streams.delete("NJS_POS");
  return out;
};

cases.js_ordered_consumer = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_O");
  await jsm.streams.add({ name: "NJS_O", subjects: ["njs.o.>"] });
  for (let i = 1; i <= 4; i++) await js.publish("njs.o.x", `${i}`);
  const c = await js.consumers.get("NJS_O", { filter_subjects: ["njs.o.x"] });
  const msgs = (await fetchAll(c, { max_messages: 4, expires: 2000 })).map((m) => ({ seq: m.seq, data: m.string() }));
  await jsm.streams.delete("NJS_O");
  return { msgs };
};

cases.kv_basics = async ({ nc }) => {
  const kvm = new Kvm(nc);
  try {
    await (await kvm.open("njs_kv")).destroy();
  } catch {
    // absent
  }
  const kv = await kvm.create("njs_kv", { history: 5 });
  const out = {};
  out.put = await kv.put("a", "1");
  out.put2 = await kv.put("a", "2");
  out.create_existing = await attempt(() => kv.create("a", "x"));
  out.update_wrong = await attempt(() => kv.update("a", "x", 1));
  out.update_right = await kv.update("a", "3", out.put2);
  const e = await kv.get("a");
  out.get = { key: e.key, value: e.string(), revision: e.revision, operation: e.operation };
  out.get_missing = await kv.get("nope");
  await kv.put("b.c", "bc");
  await kv.delete("b.c");
  const d = await kv.get("b.c");
  out.deleted = { operation: d?.operation, revision: d?.revision };
  out.history = [];
  for await (const h of await kv.history({ key: "a" })) out.history.push({ v: h.string(), rev: h.revision, op: h.operation });
  out.keys = [];
  for await (const k of await kv.keys()) out.keys.push(k);
  out.keys.sort();
  const st = await kv.status();
  out.status = { bucket: st.bucket, values: st.values, history: st.history };
  await kv.destroy();
  return out;
};

cases.msg_ttl = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_TTL");
  await cleanStream(jsm, "NJS_NOTTL");
  const out = {};
  out.add = streamView(await jsm.streams.add({ name: "NJS_TTL", subjects: ["njs.ttl.>"], allow_msg_ttl: true }));
  out.ack_ttl = ack(await js.publish("njs.ttl.a", "short", { ttl: "1s" }));
  out.ack_never = ack(await js.publish("njs.ttl.b", "forever", { ttl: "never" }));
  out.ack_plain = ack(await js.publish("njs.ttl.c", "plain"));
  out.too_short = await attempt(() => js.publish("njs.ttl.a", "x", { ttl: "500ms" }));
  out.bad = await attempt(() => js.publish("njs.ttl.a", "x", { ttl: "soon" }));
  out.stored = stored(await jsm.streams.getMessage("NJS_TTL", { seq: 1 }));
  await sleep(2500);
  out.after_expiry = await attempt(() => jsm.streams.getMessage("NJS_TTL", { seq: 1 }));
  out.state = streamView(await jsm.streams.info("NJS_TTL"));
  out.turn_off = await attempt(() => jsm.streams.update("NJS_TTL", { allow_msg_ttl: false }));
  await jsm.streams.add({ name: "NJS_NOTTL", subjects: ["njs.nottl.>"] });
  out.disabled = await attempt(() => js.publish("njs.nottl.a", "x", { ttl: "5s" }));
  await jsm.streams.delete("NJS_TTL");
  await jsm.streams.delete("NJS_NOTTL");
  return out;
};

cases.subject_delete_markers = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_SDM");
  const out = {};
  const si = await jsm.streams.add({ name: "NJS_SDM", subjects: ["njs.sdm.>"], max_age: 1_000_000_000, subject_delete_marker_ttl: 1_000_000_000 });
  out.add = streamView(si);
  out.add_rollup = si.config.allow_rollup_hdrs;
  out.zero = await attempt(() => jsm.streams.add({ name: "NJS_SDM_BAD", subjects: ["njs.sdmbad"], subject_delete_marker_ttl: 500_000_000 }));
  await js.publish("njs.sdm.a", "a1");
  await js.publish("njs.sdm.a", "a2");
  await js.publish("njs.sdm.b", "b1", { ttl: "1s" });
  await sleep(1700);
  // both subjects expire in the same second: which marker a server writes first is not specified,
  // so each marker is shown without its sequence, and the sequences the two markers took as a set
  const ms = {};
  const seqs = [];
  for (const subj of ["njs.sdm.a", "njs.sdm.b"]) {
    ms[subj] = await attempt(async () => {
      const m = stored(await jsm.streams.getMessage("NJS_SDM", { last_by_subj: subj }));
      seqs.push(m.seq);
      delete m.seq;
      return m;
    });
  }
  out.markers = ms;
  out.marker_seqs = seqs.sort((x, y) => x - y);
  await sleep(1800);
  out.markers_gone = streamView(await jsm.streams.info("NJS_SDM")).state;
  await jsm.streams.delete("NJS_SDM");
  return out;
};

cases.kv_key_ttl = async ({ nc }) => {
  const kvm = new Kvm(nc);
  for (const b of ["njs_kvttl", "njs_kvplain"]) {
    try {
      await (await kvm.open(b)).destroy();
    } catch {
      // absent
    }
  }
  const out = {};
  const kv = await kvm.create("njs_kvttl", { markerTTL: 1000 });
  const st = await kv.status();
  out.status = { markerTTL: st.markerTTL, values: st.values };
  out.create = await kv.create("k", "v", "1s");
  out.before = (await kv.get("k"))?.string();
  await kv.put("p", "pv");
  await kv.purge("p", { ttl: "1s" });
  const p = await kv.get("p");
  out.purged = { operation: p?.operation };
  await sleep(2500);
  const k = await kv.get("k");
  out.after = k === null ? null : { operation: k.operation, value: k.string() };
  out.recreate = await attempt(() => kv.create("k", "again"));
  out.history = [];
  for await (const h of await kv.history({ key: "k" })) out.history.push({ op: h.operation, v: h.string() });
  const plain = await kvm.create("njs_kvplain", {});
  out.plain_ttl = await attempt(() => plain.create("x", "y", "5s"));
  await kv.destroy();
  await plain.destroy();
  return out;
};

cases.consumer_pause = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_P");
  const out = {};
  await jsm.streams.add({ name: "NJS_P", subjects: ["njs.p.>"] });
  await js.publish("njs.p.a", "1");
  await js.publish("njs.p.a", "2");
  const until = new Date(Date.now() + 60_000);
  const ci = await jsm.consumers.add("NJS_P", { durable_name: "PC", ack_policy: AckPolicy.Explicit, pause_until: until.toISOString() });
  out.created = { paused: ci.paused === true, has_remaining: typeof ci.pause_remaining === "number" && ci.pause_remaining > 0, pause_until_kept: ci.config.pause_until !== undefined };
  const c = await js.consumers.get("NJS_P", "PC");
  out.while_paused = (await fetchAll(c, { max_messages: 2, expires: 1500 })).length;
  const r = await jsm.consumers.resume("NJS_P", "PC");
  out.resume = { paused: r.paused, pause_until: r.pause_until }; // nats.js resumes by pausing until the Unix epoch
  out.after_resume = (await fetchAll(c, { max_messages: 2, expires: 2000 })).map((m) => m.string());
  const p = await jsm.consumers.pause("NJS_P", "PC", new Date(Date.now() + 60_000));
  out.pause = { paused: p.paused, has_until: typeof p.pause_until === "string" };
  await js.publish("njs.p.a", "3");
  out.paused_again = (await fetchAll(c, { max_messages: 1, expires: 1500 })).length;
  out.info = consumerView(await jsm.consumers.info("NJS_P", "PC"));
  const past = await jsm.consumers.pause("NJS_P", "PC", new Date(Date.now() - 1000));
  out.pause_in_past = { paused: past.paused };
  out.pause_missing = await attempt(() => jsm.consumers.pause("NJS_P", "NOPE", new Date(Date.now() + 1000)));
  await jsm.streams.delete("NJS_P");
  return out;
};

cases.priority_overflow = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_PO");
  const out = {};
  await jsm.streams.add({ name: "NJS_PO", subjects: ["njs.po.>"] });
  for (let i = 1; i <= 4; i++) await js.publish("njs.po.a", `${i}`);
  out.add = await attempt(async () => {
    const ci = await jsm.consumers.add("NJS_PO", { durable_name: "O", ack_policy: AckPolicy.Explicit, priority_groups: ["A"], priority_policy: "overflow" });
    return { policy: ci.config.priority_policy, groups: ci.config.priority_groups };
  });
  out.bad_group_name = await attempt(() => jsm.consumers.add("NJS_PO", { durable_name: "X", ack_policy: AckPolicy.Explicit, priority_groups: ["bad name"], priority_policy: "overflow" }));
  out.no_groups = await attempt(() => jsm.consumers.add("NJS_PO", { durable_name: "Y", ack_policy: AckPolicy.Explicit, priority_policy: "overflow" }));
  out.high_min = await attempt(async () => {
    const c = await js.consumers.get("NJS_PO", "O");
    return (await fetchAll(c, { max_messages: 4, expires: 1500, group: "A", min_pending: 10 })).length;
  });
  out.low_min = await attempt(async () => {
    const c = await js.consumers.get("NJS_PO", "O");
    return (await fetchAll(c, { max_messages: 2, expires: 1500, group: "A", min_pending: 2 })).map((m) => m.string());
  });
  out.wrong_group = await attempt(async () => {
    const c = await js.consumers.get("NJS_PO", "O");
    return (await fetchAll(c, { max_messages: 1, expires: 1500, group: "B", min_pending: 1 })).length;
  });
  await jsm.streams.delete("NJS_PO");
  return out;
};

cases.priority_pinned = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_PP");
  const out = {};
  await jsm.streams.add({ name: "NJS_PP", subjects: ["njs.pp.>"] });
  for (let i = 1; i <= 6; i++) await js.publish("njs.pp.a", `${i}`);
  out.add = await attempt(async () => {
    const ci = await jsm.consumers.add("NJS_PP", { durable_name: "P", ack_policy: AckPolicy.Explicit, priority_groups: ["G"], priority_policy: "pinned_client", priority_timeout: 30_000_000_000 });
    return { policy: ci.config.priority_policy, timeout: ci.config.priority_timeout };
  });
  out.first = await attempt(async () => {
    const c = await js.consumers.get("NJS_PP", "P");
    const it = await c.fetch({ max_messages: 2, expires: 2000, group: "G" });
    const notes = [];
    (async () => {
      for await (const s of it.status()) if (s.type === "consumer_pinned" || s.type === "consumer_unpinned") notes.push(s.type);
    })();
    const msgs = [];
    for await (const m of it) {
      msgs.push({ data: m.string(), pin_header: m.headers?.has("Nats-Pin-Id") === true });
      m.ack();
    }
    return { msgs, notes };
  });
  out.info_pinned = consumerView(await jsm.consumers.info("NJS_PP", "P")).priority_groups;
  out.other_client = await attempt(async () => {
    // a second client (a new consumer object has no pin id) gets nothing while the pin holds
    const c = await js.consumers.get("NJS_PP", "P");
    return (await fetchAll(c, { max_messages: 1, expires: 1500, group: "G" })).length;
  });
  out.unpin = await attempt(() => jsm.consumers.unpin("NJS_PP", "P", "G"));
  out.info_unpinned = consumerView(await jsm.consumers.info("NJS_PP", "P")).priority_groups;
  out.after_unpin = await attempt(async () => {
    const c = await js.consumers.get("NJS_PP", "P");
    return (await fetchAll(c, { max_messages: 1, expires: 2000, group: "G" })).map((m) => m.string());
  });
  out.unpin_unknown_group = await attempt(() => jsm.consumers.unpin("NJS_PP", "P", "H"));
  await jsm.streams.delete("NJS_PP");
  return out;
};

cases.direct_batch_get = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_DG");
  const out = {};
  await jsm.streams.add({ name: "NJS_DG", subjects: ["njs.dg.>"], allow_direct: true });
  for (const [s, v] of [["a", "1"], ["b", "2"], ["a", "3"], ["c", "4"], ["b", "5"], ["a", "6"]]) await js.publish(`njs.dg.${s}`, v);
  const collect = async (p) => {
    const out = [];
    for await (const m of await p) out.push({ subject: m.subject, seq: m.seq, data: m.string() });
    return out;
  };
  out.direct_get = stored(await jsm.direct.getMessage("NJS_DG", { last_by_subj: "njs.dg.b" }));
  out.batch = await attempt(() => collect(jsm.direct.getBatch("NJS_DG", { seq: 2, batch: 3 })));
  out.batch_filtered = await attempt(() => collect(jsm.direct.getBatch("NJS_DG", { seq: 1, batch: 10, next_by_subj: "njs.dg.a" })));
  out.last_for = await attempt(() => collect(jsm.direct.getLastMessagesFor("NJS_DG", { multi_last: ["njs.dg.a", "njs.dg.b"] })));
  out.last_for_up_to = await attempt(() => collect(jsm.direct.getLastMessagesFor("NJS_DG", { multi_last: ["njs.dg.>"], up_to_seq: 4 })));
  out.batch_past_end = await attempt(() => collect(jsm.direct.getBatch("NJS_DG", { seq: 50, batch: 2 })));
  await jsm.streams.delete("NJS_DG");
  return out;
};

cases.atomic_batch_publish = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_AB");
  await cleanStream(jsm, "NJS_NOAB");
  const out = {};
  out.add = streamView(await jsm.streams.add({ name: "NJS_AB", subjects: ["njs.ab.>"], allow_atomic: true }));
  out.commit = await attempt(async () => {
    const b = await js.startBatch("njs.ab.a", "1");
    b.add("njs.ab.b", "2");
    await b.add("njs.ab.c", "3", { ack: true });
    return ack(await b.commit("njs.ab.d", "4"));
  });
  out.state = streamView(await jsm.streams.info("NJS_AB")).state;
  out.stored_last = stored(await jsm.streams.getMessage("NJS_AB", { seq: 4 }));
  await jsm.streams.add({ name: "NJS_NOAB", subjects: ["njs.noab.>"] });
  out.disabled = await attempt(async () => {
    const b = await js.startBatch("njs.noab.a", "1");
    return ack(await b.commit("njs.noab.b", "2"));
  });
  out.disabled_state = streamView(await jsm.streams.info("NJS_NOAB")).state;
  await jsm.streams.delete("NJS_AB");
  await jsm.streams.delete("NJS_NOAB");
  return out;
};

cases.counters = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_CNT");
  const out = {};
  out.add = await attempt(async () => streamView(await jsm.streams.add({ name: "NJS_CNT", subjects: ["njs.cnt.>"], allow_msg_counter: true })));
  const incr = (v) => {
    const h = headers();
    h.set("Nats-Incr", v);
    return { headers: h };
  };
  out.acks = [];
  for (const v of ["5", "+3", "-10"]) out.acks.push(await attempt(async () => ack(await js.publish("njs.cnt.x", undefined, incr(v)))));
  out.bad = await attempt(() => js.publish("njs.cnt.x", undefined, incr("one")));
  out.payload = await attempt(() => js.publish("njs.cnt.x", "data", incr("1")));
  out.no_incr = await attempt(() => js.publish("njs.cnt.x", "plain"));
  out.value = await attempt(async () => {
    const m = await jsm.streams.getMessage("NJS_CNT", { last_by_subj: "njs.cnt.x" });
    return { data: td.decode(m.data), header: hdrs(m.header, ["Nats-Time-Stamp"]) };
  });
  await cleanStream(jsm, "NJS_CNT");
  return out;
};

cases.workqueue_max_deliver = async ({ nc, jsm, js }) => {
  await cleanStream(jsm, "NJS_WQ");
  const out = {};
  await jsm.streams.add({ name: "NJS_WQ", subjects: ["njs.wq.>"], retention: RetentionPolicy.Workqueue });
  for (let i = 1; i <= 3; i++) await js.publish("njs.wq.job", `job ${i}`);
  await jsm.consumers.add("NJS_WQ", { durable_name: "W", ack_policy: AckPolicy.Explicit, max_deliver: 1, ack_wait: 500_000_000 });
  const adv = nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.NJS_WQ.W", { max: 1 });
  await nc.flush();
  const c = await js.consumers.get("NJS_WQ", "W");
  const got = await fetchAll(c, { max_messages: 2, expires: 2000 });
  out.fetched = got.map(msgView);
  await got[1].ackAck();
  const a = await Promise.race([
    (async () => {
      for await (const m of adv) return JSON.parse(m.string());
    })(),
    sleep(5000).then(() => null),
  ]);
  out.advisory = a && { type: a.type, stream: a.stream, consumer: a.consumer, stream_seq: a.stream_seq, deliveries: a.deliveries };
  await sleep(200);
  out.stored_1 = await attempt(async () => stored(await jsm.streams.getMessage("NJS_WQ", { seq: 1 }))?.data ?? null);
  out.stored_2 = await attempt(async () => stored(await jsm.streams.getMessage("NJS_WQ", { seq: 2 }))?.data ?? null);
  out.consumer = consumerView(await jsm.consumers.info("NJS_WQ", "W"));
  out.late_ack = await attempt(() => got[0].ackAck());
  out.after_late_ack = await attempt(async () => stored(await jsm.streams.getMessage("NJS_WQ", { seq: 1 }))?.data ?? null);
  out.messages = (await jsm.streams.info("NJS_WQ")).state.messages;
  await jsm.streams.delete("NJS_WQ");
  return out;
};

cases.pull_to_deleted_consumer = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_DEL");
  const out = {};
  await jsm.streams.add({ name: "NJS_DEL", subjects: ["njs.del.>"] });
  await jsm.consumers.add("NJS_DEL", { durable_name: "A", ack_policy: AckPolicy.Explicit });
  await jsm.consumers.add("NJS_DEL", { durable_name: "B", ack_policy: AckPolicy.Explicit });
  // a fetch waiting when its consumer is deleted
  const a = await js.consumers.get("NJS_DEL", "A");
  const waiting = (async () => {
    const t = Date.now();
    const r = await attempt(async () => (await fetchAll(a, { max_messages: 5, expires: 20_000 })).length);
    return { result: r, at_once: Date.now() - t < 5000 };
  })();
  await sleep(300);
  await jsm.consumers.delete("NJS_DEL", "A");
  out.waiting = await waiting;
  // a new pull to the consumer that is gone, with bind (no consumer info first)
  let t = Date.now();
  out.bound_next = { result: await attempt(async () => ((await a.next({ expires: 20_000, bind: true })) === null ? "null" : "message")) };
  out.bound_next.at_once = Date.now() - t < 5000;
  // the stream deleted under a waiting fetch
  const b = await js.consumers.get("NJS_DEL", "B");
  const waitingB = (async () => {
    const t = Date.now();
    const r = await attempt(async () => (await fetchAll(b, { max_messages: 5, expires: 20_000 })).length);
    return { result: r, at_once: Date.now() - t < 5000 };
  })();
  await sleep(300);
  await jsm.streams.delete("NJS_DEL");
  out.stream_deleted = await waitingB;
  t = Date.now();
  out.missing_stream = { result: await attempt(() => js.consumers.get("NJS_DEL", "B")), at_once: Date.now() - t < 5000 };
  return out;
};

cases.consumer_reset = async ({ jsm, js }) => {
  await cleanStream(jsm, "NJS_RST");
  const out = {};
  await jsm.streams.add({ name: "NJS_RST", subjects: ["njs.rst.>"] });
  for (let i = 1; i <= 3; i++) await js.publish("njs.rst.a", `${i}`);
  await jsm.consumers.add("NJS_RST", { durable_name: "R", ack_policy: AckPolicy.Explicit });
  const c = await js.consumers.get("NJS_RST", "R");
  for (const m of await fetchAll(c, { max_messages: 3, expires: 2000 })) await m.ackAck();
  out.reset = await attempt(async () => {
    const r = await jsm.consumers.reset("NJS_RST", "R", 2);
    return { reset_seq: r.reset_seq, num_pending: r.num_pending ?? r.config?.num_pending };
  });
  out.after = await attempt(async () => (await fetchAll(c, { max_messages: 3, expires: 1500 })).map((m) => m.string()));
  await jsm.streams.delete("NJS_RST");
  return out;
};

// ------------------------------------------------------------------ main

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--list") {
    console.log(Object.keys(cases).join("\n"));
    return;
  }
  const url = args[0];
  if (!url) {
    console.error("usage: node cases.mjs URL [CASE...] | --list");
    process.exit(2);
  }
  const names = args.length > 1 ? args.slice(1) : Object.keys(cases);
  for (const name of names) {
    const fn = cases[name];
    if (!fn) {
      console.error(`unknown case ${name}`);
      process.exit(2);
    }
    // a fresh connection per case, so that one case's subscriptions and pins stay its own
    const nc = await connect({ servers: url, name: `njs-${name}` });
    if (process.env.NJS_ASSUME_SERVER_VERSION) {
      // by hand only: nats.js gates features on INFO's version; this makes it act as for another one
      nc.features.update(parseSemVer(process.env.NJS_ASSUME_SERVER_VERSION));
    }
    let result;
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      result = await Promise.race([
        fn({ nc, jsm, js }),
        sleep(40_000).then(() => ({ timeout: "the case did not finish within 40 s" })),
      ]);
    } catch (e) {
      result = { failed: err(e) };
    }
    console.log(JSON.stringify(canonical({ case: name, result })));
    await nc.close().catch(() => {});
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
