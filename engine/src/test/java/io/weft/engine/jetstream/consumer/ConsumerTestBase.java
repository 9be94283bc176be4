package io.weft.engine.jetstream.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.jetstream.Retention;
import io.weft.engine.server.Account;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

abstract class ConsumerTestBase {
    static final ObjectMapper M = new ObjectMapper();
    Env env;
    Server server;
    Account account;
    FakeStream stream;
    Consumers consumers;
    final List<Inbox> inboxes = new ArrayList<>();

    @BeforeEach
    void setUpServer() {
        env = Env.real();
        ServerOptions opts = new ServerOptions();
        opts.port = 0;
        server = new Server(env, opts, ServerLog.silent());
        account = server.account(Account.GLOBAL);
        stream = new FakeStream("S", Retention.LIMITS, account, env, null);
        consumers = new Consumers();
    }

    @AfterEach
    void tearDown() {
        for (var c : stream.consumers()) {
            c.stop(false);
        }
        inboxes.forEach(Inbox::close);
    }

    Inbox inbox(String subject) {
        Inbox i = new Inbox(account, subject);
        inboxes.add(i);
        return i;
    }

    JsonNode api(String subject, String body) throws IOException {
        byte[] r = consumers.handleApi(subject, "_R.api", body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                n -> n.equals(stream.name) ? stream : null);
        return r == null ? null : M.readTree(r);
    }

    JsonNode create(String config) throws IOException {
        return api("$JS.API.CONSUMER.CREATE.S", "{\"stream_name\":\"S\",\"config\":" + config + "}");
    }

    JsonNode durable(String name, String config) throws IOException {
        return api("$JS.API.CONSUMER.CREATE.S." + name, "{\"stream_name\":\"S\",\"config\":" + config + "}");
    }

    JsonNode info(String name) throws IOException {
        return api("$JS.API.CONSUMER.INFO.S." + name, "");
    }

    void ack(Inbox.Msg m, String body) {
        account.publish(m.reply(), null, null, body.getBytes(StandardCharsets.UTF_8));
    }

    void next(String consumer, String reply, String body) {
        consumers.handleApi("$JS.API.CONSUMER.MSG.NEXT.S." + consumer, reply,
                body.getBytes(StandardCharsets.UTF_8), n -> n.equals(stream.name) ? stream : null);
    }

    static int errCode(JsonNode r) {
        return r.path("error").path("err_code").asInt(0);
    }
}
