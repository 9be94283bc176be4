package io.weft.engine.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerLog;
import io.weft.engine.ServerOptions;
import io.weft.engine.node.Node;
import io.weft.engine.server.Server;
import io.weft.net.Env;
import org.junit.jupiter.api.Test;

/** Routing, status codes, content types and nats-server's exact 400 messages (captured from 2.9.10). */
class MonitorRequestsTest {
    private final MonitorRequests requests = new MonitorRequests(
            new Monitor(new Node(Env.real(), new ServerOptions(), ServerLog.silent())));

    private void bad(String path, String query, String message) {
        MonitorResponse r = requests.handle(path, query);
        assertEquals(400, r.status(), path + "?" + query);
        assertEquals("text/plain; charset=utf-8", r.contentType());
        assertEquals(message, r.bodyText());
    }

    @Test
    void badQueryValuesGiveNatsServersMessages() {
        bad("/connz", "sort=stop", "sort by stop only valid on closed connections");
        bad("/connz", "sort=reason", "sort by reason only valid on closed connections");
        bad("/connz", "state=any&sort=reason", "sort by reason only valid on closed connections");
        bad("/connz", "sort=bogus", "invalid sorting option: bogus");
        bad("/connz", "sort=CID", "invalid sorting option: CID");
        bad("/connz", "limit=abc", "Error decoding int for 'limit': strconv.Atoi: parsing \"abc\": invalid syntax");
        bad("/connz", "offset=x", "Error decoding int for 'offset': strconv.Atoi: parsing \"x\": invalid syntax");
        bad("/connz", "limit=99999999999999999999",
                "Error decoding int for 'limit': strconv.Atoi: parsing \"99999999999999999999\": value out of range");
        bad("/connz", "state=bogus", "Error decoding state for bogus");
        bad("/connz", "subs=bogus",
                "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"bogus\": invalid syntax");
        bad("/connz", "cid=abc", "Error decoding uint64 for 'cid': strconv.ParseUint: parsing \"abc\": invalid syntax");
        bad("/connz", "cid=-1", "Error decoding uint64 for 'cid': strconv.ParseUint: parsing \"-1\": invalid syntax");
        bad("/connz", "auth=bogus",
                "Error decoding boolean for 'auth': strconv.ParseBool: parsing \"bogus\": invalid syntax");
        bad("/subsz", "test=foo.*", "invalid test subject, must be valid publish subject: foo.*");
        bad("/subsz", "subs=bad", "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"bad\": invalid syntax");
        bad("/subscriptionsz", "limit=bad",
                "Error decoding int for 'limit': strconv.Atoi: parsing \"bad\": invalid syntax");
        bad("/accountz", "acc=NOPE", "Account NOPE does not exist");
        bad("/accstatz", "unused=bogus",
                "Error decoding boolean for 'unused': strconv.ParseBool: parsing \"bogus\": invalid syntax");
        bad("/jsz", "acc=A&accounts=bogus",
                "Error decoding boolean for 'accounts': strconv.ParseBool: parsing \"bogus\": invalid syntax");
        bad("/routez", "subs=bogus",
                "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"bogus\": invalid syntax");
        bad("/healthz", "js-enabled-only=bogus",
                "Error decoding boolean for 'js-enabled-only': strconv.ParseBool: parsing \"bogus\": invalid syntax");
    }

    @Test
    void lenientValuesAreAccepted() {
        assertEquals(200, requests.handle("/connz", "limit=&subs=&sort=").status());
        assertEquals(200, requests.handle("/connz", "limit=%2B2&subs=T&state=Closed").status());
        assertEquals(200, requests.handle("/connz", "cid=0&unknown=1").status());
        assertEquals(200, requests.handle("/subsz", "test=").status());
    }

    @Test
    void unknownPathsAre404() {
        for (String p : new String[] {"/nope", "/varzz", "/connz/", "/VARZ"}) {
            MonitorResponse r = requests.handle(p, null);
            assertEquals(404, r.status(), p);
            assertEquals("404 page not found\n", r.bodyText());
        }
    }

    @Test
    void jsonAndJsonp() {
        MonitorResponse r = requests.handle("/varz", null);
        assertEquals(200, r.status());
        assertEquals("application/json", r.contentType());
        assertTrue(r.bodyText().startsWith("{\n  \"server_id\": \""), r.bodyText());
        MonitorResponse p = requests.handle("/varz", "callback=cb");
        assertEquals("application/javascript", p.contentType());
        assertTrue(p.bodyText().startsWith("cb({\n  \"server_id\""));
        assertTrue(p.bodyText().endsWith("\n})"));
        assertEquals("cb({\"status\":\"ok\"})", requests.handle("/healthz", "callback=cb").bodyText());
        assertEquals("{\"status\":\"ok\"}", requests.handle("/healthz", "js-enabled-only=true").bodyText());
        MonitorResponse index = requests.handle("/", null);
        assertEquals("text/html; charset=utf-8", index.contentType());
        assertTrue(index.bodyText().contains("href=./connz"));
    }

    @Test
    void requestsAreCountedPerEndpoint() {
        requests.handle("/connz", null);
        requests.handle("/connz", "sort=bogus");
        requests.handle("/subscriptionsz", null);
        requests.handle("/nope", null);
        Varz v = requests.monitor().varz();
        assertEquals(2L, v.httpReqStats().get("/connz"));
        assertEquals(1L, v.httpReqStats().get("/subsz"));
        assertEquals(null, v.httpReqStats().get("/nope"));
    }

    @Test
    void queryDecoding() throws Exception {
        MonitorQuery q = MonitorQuery.parse("acc=%24G&test=a+b&x=1&x=2&bad=%zz&flag");
        assertEquals("$G", q.get("acc"));
        assertEquals("a b", q.get("test"));
        assertEquals("1", q.get("x"));
        assertEquals("", q.get("bad"));
        assertEquals("", q.get("flag"));
        assertEquals(-5, q.getInt("y", -5));
        assertEquals(-3, MonitorQuery.parse("n=-3").getInt("n", 0));
    }
}
