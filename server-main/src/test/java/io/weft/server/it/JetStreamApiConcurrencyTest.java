package io.weft.server.it;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One slow JetStream API request does not stall the others (issue 18, item 5): while account A
 * creates a stream of 10,000 subjects, {@code $JS.API.INFO} in A and in B and the STREAM.INFO of
 * another stream answer, through jnats with its default 5 s timeout, before the create is done.
 *
 * <p>"While the create is in progress" is observed on the server, not timed: a probe create in A
 * whose subject is the big stream's last one gets 10065 (subjects overlap) once the big create has
 * reserved its subjects, and 10047 (over the account's storage) before, so it can never take the
 * subject itself; and A's INFO counts the big stream once it is published. A round (probe, INFO in
 * B, STREAM.INFO, INFO in A) that starts with 10065 and ends with the big stream not counted ran
 * inside the create. When requests run one after the other, as before, the probe is answered only
 * after the create, so no round can be inside. (The client's own create call is no measure: jnats
 * takes a while to parse a reply of 10,000 subjects.) A create that is quick can end before a
 * round fits, so the experiment may be repeated with a new stream.
 */
class JetStreamApiConcurrencyTest {
    static final String CONF = """
            accounts {
              A: {
                jetstream: {max_file: 1G, max_mem: 1G}
                users: [{user: a, password: a}]
              }
              B: {
                jetstream: enabled
                users: [{user: b, password: b}]
              }
            }
            """;
    static final int SUBJECTS = 10_000;
    static final int ATTEMPTS = 5;
    static final int SUBJECT_OVERLAP = 10065;
    static final int STORAGE_EXCEEDED = 10047;

    private static Connection connect(JsServer js, String user) throws Exception {
        return Clients.connect(Clients.options(js.server).userInfo(user, user));
    }

    private static StreamConfiguration big(String name, String prefix) {
        List<String> subjects = new ArrayList<>(SUBJECTS);
        for (int i = 0; i < SUBJECTS; i++) {
            subjects.add(prefix + "." + i);
        }
        return StreamConfiguration.builder().name(name).subjects(subjects).storageType(StorageType.File).build();
    }

    /** Whether the big stream's subjects are taken: the probe cannot succeed either way. */
    private static boolean reserved(JetStreamManagement jsm, String subject) throws Exception {
        StreamConfiguration probe = StreamConfiguration.builder().name("PROBE").subjects(subject)
                .storageType(StorageType.File).maxBytes(2L << 30).build();
        try {
            jsm.addStream(probe);
        } catch (JetStreamApiException e) {
            assertTrue(e.getApiErrorCode() == SUBJECT_OVERLAP || e.getApiErrorCode() == STORAGE_EXCEEDED, e.toString());
            return e.getApiErrorCode() == SUBJECT_OVERLAP;
        }
        throw new AssertionError("the probe stream was created");
    }

    @Test
    void readsAndOtherAccountsAnswerWhileABigStreamIsCreated() throws Exception {
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        try (JsServer js = JsServer.start(TestServers.Target.WEFT, CONF);
                Connection creator = connect(js, "a");
                Connection a = connect(js, "a");
                Connection b = connect(js, "b")) {
            // the creator waits as long as the create takes; everyone else has jnats' default timeout
            JetStreamManagement slow = creator.jetStreamManagement(
                    JetStreamOptions.builder().requestTimeout(Duration.ofMinutes(2)).build());
            JetStreamManagement jsmA = a.jetStreamManagement();
            JetStreamManagement jsmB = b.jetStreamManagement();
            jsmA.addStream(StreamConfiguration.builder().name("OTHER").subjects("other.>").storageType(StorageType.File).build());
            int inside = 0;
            for (int k = 0; k < ATTEMPTS && inside == 0; k++) {
                String name = "BIG" + k;
                StreamConfiguration cfg = big(name, "big" + k);
                Future<StreamInfo> create = background.submit(() -> slow.addStream(cfg));
                String last = cfg.getSubjects().get(SUBJECTS - 1);
                while (!create.isDone()) {
                    boolean taken = reserved(jsmA, last);
                    assertEquals(0, jsmB.getAccountStatistics().getStreams(), "B's INFO");
                    assertEquals("OTHER", jsmA.getStreamInfo("OTHER").getConfiguration().getName());
                    long streams = jsmA.getAccountStatistics().getStreams();
                    assertTrue(streams == 1 + k || streams == 2 + k, "A's INFO: " + streams);
                    if (taken && streams == 1 + k) {
                        inside++; // reserved before the round, still not published after it
                    }
                }
                StreamInfo created = create.get(2, TimeUnit.MINUTES);
                assertEquals(SUBJECTS, created.getConfiguration().getSubjects().size(), "the create succeeded");
                assertEquals(SUBJECTS, jsmA.getStreamInfo(name).getConfiguration().getSubjects().size());
            }
            assertTrue(inside > 0, "no round of INFO, INFO in B and STREAM.INFO answered while a create was in progress");
        } finally {
            background.shutdownNow();
        }
    }
}
