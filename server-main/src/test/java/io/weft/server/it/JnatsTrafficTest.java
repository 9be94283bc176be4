package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.Nats;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValuePurgeOptions;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectMeta;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.ObjectStoreWatcher;
import io.nats.client.api.StorageType;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import io.nats.client.impl.NatsObjectStoreWatchSubscription;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Observes the raw traffic of jnats' KeyValue and ObjectStore calls through a logging proxy and
 * pins which server features each call relies on (direct get, rollup headers, per-subject limits,
 * discard new, last-per-subject and headers-only consumers, flow control...). The full transcript
 * is written to {@code target/jnats-traffic-<target>.txt} so a missing feature on the server side
 * is easy to spot.
 */
class JnatsTrafficTest {

    interface Call {
        void run() throws Exception;
    }

    @Test
    void keyValueAndObjectStoreFeatureUse() throws Exception {
        Map<String, List<TrafficProxy.Frame>> byCall = new LinkedHashMap<>();
        try (JsServer server = JsServer.start("");
             TrafficProxy proxy = new TrafficProxy(server.port());
             // only the proxy in the server list (Options.server() adds to the list, which jnats shuffles)
             Connection nc = Nats.connect(io.nats.client.Options.builder().server(proxy.url()).noReconnect()
                     .noRandomize().connectionTimeout(Duration.ofSeconds(5))
                     .errorListener(new Clients.RecordingErrors()).build())) {
            KeyValueManagement kvm = nc.keyValueManagement();
            ObjectStoreManagement osm = nc.objectStoreManagement();
            List<String> order = new ArrayList<>();
            Map<String, Call> calls = new LinkedHashMap<>();
            KeyValue[] kvHolder = new KeyValue[1];
            ObjectStore[] osHolder = new ObjectStore[1];
            calls.put("kvm.create", () -> kvm.create(KeyValueConfiguration.builder().name("TRAF").maxHistoryPerKey(5)
                    .ttl(Duration.ofHours(1)).storageType(StorageType.File).build()));
            calls.put("nc.keyValue", () -> kvHolder[0] = nc.keyValue("TRAF"));
            calls.put("kv.put", () -> kvHolder[0].put("k", "v1"));
            calls.put("kv.get", () -> assertEquals("v1", kvHolder[0].get("k").getValueAsString()));
            calls.put("kv.get(revision)", () -> assertEquals("v1", kvHolder[0].get("k", 1).getValueAsString()));
            calls.put("kv.create", () -> kvHolder[0].create("c", "x".getBytes(StandardCharsets.UTF_8)));
            calls.put("kv.update", () -> kvHolder[0].update("k", "v2".getBytes(StandardCharsets.UTF_8), 1));
            calls.put("kv.delete", () -> kvHolder[0].delete("c"));
            calls.put("kv.purge", () -> kvHolder[0].purge("k"));
            calls.put("kv.keys", () -> {
                kvHolder[0].put("a", "1");
                order.add("keys=" + kvHolder[0].keys());
            });
            calls.put("kv.history", () -> order.add("history=" + kvHolder[0].history("a").size()));
            calls.put("kv.watch", () -> watchOnce(kvHolder[0], "a"));
            calls.put("kv.watchAll", () -> watchOnce(kvHolder[0], null));
            calls.put("kv.purgeDeletes", () -> kvHolder[0].purgeDeletes(KeyValuePurgeOptions.builder().deleteMarkersNoThreshold().build()));
            calls.put("kvm.getStatus", () -> kvm.getStatus("TRAF"));
            calls.put("kvm.delete", () -> kvm.delete("TRAF"));
            calls.put("osm.create", () -> osm.create(ObjectStoreConfiguration.builder("OTRAF").storageType(StorageType.File).build()));
            calls.put("nc.objectStore", () -> osHolder[0] = nc.objectStore("OTRAF"));
            calls.put("os.put(3 chunks)", () -> osHolder[0].put(ObjectMeta.builder("o").chunkSize(100).build(),
                    new ByteArrayInputStream(new byte[250])));
            calls.put("os.getInfo", () -> osHolder[0].getInfo("o"));
            calls.put("os.get", () -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                osHolder[0].get("o", out);
                assertEquals(250, out.size());
            });
            calls.put("os.updateMeta", () -> osHolder[0].updateMeta("o", ObjectMeta.builder("o").description("d").build()));
            calls.put("os.addLink", () -> osHolder[0].addLink("l", osHolder[0].getInfo("o")));
            calls.put("os.getList", () -> osHolder[0].getList());
            calls.put("os.watch", () -> {
                CountDownLatch end = new CountDownLatch(1);
                try (NatsObjectStoreWatchSubscription w = osHolder[0].watch(new ObjectStoreWatcher() {
                    @Override
                    public void watch(ObjectInfo info) {
                    }

                    @Override
                    public void endOfData() {
                        end.countDown();
                    }
                })) {
                    assertTrue(end.await(10, TimeUnit.SECONDS));
                }
            });
            calls.put("os.delete", () -> osHolder[0].delete("o"));
            calls.put("os.seal", () -> osHolder[0].seal());
            calls.put("osm.delete", () -> osm.delete("OTRAF"));

            for (Map.Entry<String, Call> e : calls.entrySet()) {
                proxy.mark(e.getKey());
                e.getValue().run();
                nc.flush(Duration.ofSeconds(5));
                Thread.sleep(30); // let the proxy see the last replies under this label
            }
            proxy.mark("done");
            assertTrue(proxy.frames().size() > 50, "the client talked through the proxy: " + proxy.frames().size());
            for (String name : calls.keySet()) {
                byCall.put(name, proxy.frames(name));
            }
        }

        StringBuilder report = new StringBuilder("jnats 2.26.2 traffic per call against " + TestServers.target() + "\n");
        for (Map.Entry<String, List<TrafficProxy.Frame>> e : byCall.entrySet()) {
            report.append("== ").append(e.getKey()).append('\n').append(TrafficProxy.describe(e.getValue())).append('\n');
        }
        Path out = Path.of("target", "jnats-traffic-" + TestServers.target() + ".txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report.toString());

        // what jnats relies on (pinned; a change in jnats shows up here)
        String create = text(byCall.get("kvm.create"));
        assertTrue(create.contains("$JS.API.STREAM.CREATE.KV_TRAF"), create);
        for (String feature : List.of("\"allow_rollup_hdrs\":true", "\"deny_delete\":true", "\"allow_direct\":true",
                "\"max_msgs_per_subject\":5", "\"discard\":\"new\"", "\"subjects\":[\"$KV.TRAF.>\"]")) {
            assertTrue(create.contains(feature), "KV create uses " + feature + ": " + create);
        }
        String get = text(byCall.get("kv.get"));
        assertTrue(get.contains("$JS.API.DIRECT.GET.KV_TRAF.$KV.TRAF.k"), "KV get is a direct get by last subject: " + get);
        String getRev = text(byCall.get("kv.get(revision)"));
        assertTrue(getRev.contains("$JS.API.DIRECT.GET.KV_TRAF") && getRev.contains("\"seq\":1"), getRev);
        String update = text(byCall.get("kv.update"));
        assertTrue(update.contains("Nats-Expected-Last-Subject-Sequence:1"), "KV update is CAS by subject sequence: " + update);
        String createKey = text(byCall.get("kv.create"));
        assertTrue(createKey.contains("Nats-Expected-Last-Subject-Sequence:0"), createKey);
        String delete = text(byCall.get("kv.delete"));
        assertTrue(delete.contains("KV-Operation:DEL"), delete);
        String purge = text(byCall.get("kv.purge"));
        assertTrue(purge.contains("KV-Operation:PURGE") && purge.contains("Nats-Rollup:sub"), purge);
        String watch = text(byCall.get("kv.watch"));
        assertTrue(watch.contains("$JS.API.CONSUMER.CREATE.KV_TRAF") || watch.contains("$JS.API.CONSUMER.CREATE.KV_TRAF."), watch);
        assertTrue(watch.contains("\"deliver_policy\":\"last_per_subject\""), "watch delivers last per subject: " + watch);
        assertTrue(watch.contains("\"flow_control\":true") && watch.contains("\"idle_heartbeat\""), "ordered push consumer: " + watch);
        String keys = text(byCall.get("kv.keys"));
        assertTrue(keys.contains("\"headers_only\":true"), "keys uses a headers-only consumer: " + keys);
        String purgeDeletes = text(byCall.get("kv.purgeDeletes"));
        assertTrue(purgeDeletes.contains("$JS.API.STREAM.PURGE.KV_TRAF"), purgeDeletes);
        String osCreate = text(byCall.get("osm.create"));
        assertTrue(osCreate.contains("\"subjects\":[\"$O.OTRAF.M.>\",\"$O.OTRAF.C.>\"]") && osCreate.contains("\"allow_rollup_hdrs\":true")
                && osCreate.contains("\"discard\":\"new\"") && osCreate.contains("\"allow_direct\":true"), osCreate);
        String osPut = text(byCall.get("os.put(3 chunks)"));
        assertTrue(osPut.contains("Nats-Rollup:sub"), "meta is written with a rollup: " + osPut);
        String osSeal = text(byCall.get("os.seal"));
        assertTrue(osSeal.contains("$JS.API.STREAM.UPDATE.OBJ_OTRAF") && osSeal.contains("\"sealed\":true"), osSeal);
        String osGet = text(byCall.get("os.get"));
        assertTrue(osGet.contains("\"deliver_policy\":\"all\"") || osGet.contains("ordered"), osGet);
    }

    private static void watchOnce(KeyValue kv, String key) throws Exception {
        CountDownLatch end = new CountDownLatch(1);
        KeyValueWatcher w = new KeyValueWatcher() {
            @Override
            public void watch(KeyValueEntry entry) {
            }

            @Override
            public void endOfData() {
                end.countDown();
            }
        };
        try (NatsKeyValueWatchSubscription s = key == null ? kv.watchAll(w) : kv.watch(key, w)) {
            assertTrue(end.await(10, TimeUnit.SECONDS), "end of data");
        }
    }

    /** Frames as one text with headers compacted ("Name:value"), for contains() checks. */
    private static String text(List<TrafficProxy.Frame> frames) {
        StringBuilder sb = new StringBuilder();
        for (TrafficProxy.Frame f : frames) {
            sb.append(f.toString().replace(": ", ":")).append('\n');
        }
        return sb.toString();
    }
}
