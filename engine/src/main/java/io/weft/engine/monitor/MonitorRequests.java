package io.weft.engine.monitor;

import io.weft.engine.json.GoJson;
import io.weft.store.SubjectBytes;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Routes a monitoring request (path and raw query) to the {@link Monitor} and renders the answer
 * as nats-server does: indented JSON, JSONP when {@code callback=} is given, plain-text 400 for
 * bad query values, 404 for unknown paths. Independent of any HTTP library.
 */
public final class MonitorRequests {
    /** The paths served, in the order the index page lists them. */
    public static final List<String> PATHS = List.of("/varz", "/jsz", "/connz", "/accountz", "/accstatz",
            "/subsz", "/routez", "/leafz", "/gatewayz", "/healthz");

    private static final List<String> JSZ_FLAGS = List.of("accounts", "streams", "consumers", "config",
            "leader-only");

    private final Monitor monitor;
    private final GoJson json = new GoJson();

    public MonitorRequests(Monitor monitor) {
        this.monitor = monitor;
    }

    public Monitor monitor() {
        return monitor;
    }

    public MonitorResponse handle(String path, String rawQuery) {
        MonitorQuery q = MonitorQuery.parse(rawQuery);
        if (path.equals("/")) {
            monitor.countRequest("/");
            return new MonitorResponse(200, MonitorResponse.HTML, index().getBytes(StandardCharsets.UTF_8));
        }
        try {
            Object doc = document(path, q);
            if (doc == null) {
                return MonitorResponse.NOT_FOUND;
            }
            if (doc instanceof Healthz h) {
                MonitorResponse r = render(json.compact(h), q);
                return h.healthy() ? r : new MonitorResponse(h.httpStatus(), r.contentType(), r.body());
            }
            return render(json.indent(doc), q);
        } catch (MonitorException e) {
            return MonitorResponse.badRequest(e.getMessage());
        }
    }

    /**
     * The document of a monitoring path for a query (counted as a request to it), as HTTP and the
     * system account's {@code $SYS.REQ.SERVER.*} requests serve it; null for an unknown path.
     */
    public Object document(String path, MonitorQuery q) throws MonitorException {
        String counted = path.equals("/subscriptionsz") ? "/subsz" : path;
        switch (path) {
            case "/varz" -> {
                monitor.countRequest(counted);
                return monitor.varz();
            }
            case "/connz" -> {
                monitor.countRequest(counted);
                return monitor.connz(ConnzOptions.parse(q));
            }
            case "/subsz", "/subscriptionsz" -> {
                monitor.countRequest(counted);
                return monitor.subsz(SubszOptions.parse(q));
            }
            case "/routez" -> {
                monitor.countRequest(counted);
                boolean detail = q.get("subs").equals("detail");
                return monitor.routez(detail || q.getBool("subs"), detail);
            }
            case "/gatewayz" -> {
                monitor.countRequest(counted);
                return monitor.gatewayz();
            }
            case "/leafz" -> {
                monitor.countRequest(counted);
                return monitor.leafz();
            }
            case "/accountz" -> {
                monitor.countRequest(counted);
                return monitor.accountz(q.get("acc"));
            }
            case "/accstatz" -> {
                monitor.countRequest(counted);
                return monitor.accstatz(q.getBool("unused"));
            }
            case "/jsz" -> {
                monitor.countRequest(counted);
                for (String flag : JSZ_FLAGS) {
                    q.getBool(flag);
                }
                q.getInt("offset", 0);
                q.getInt("limit", 0);
                return monitor.jsz(q.get("acc"), q.getBool("accounts"), q.getBool("streams"),
                        q.getBool("consumers"), q.getBool("config"));
            }
            case "/healthz" -> {
                monitor.countRequest(counted);
                // checked in nats-server's order, so the first bad boolean is the one named
                boolean jsEnabled = q.getBool("js-enabled");
                boolean jsEnabledOnly = q.getBool("js-enabled-only");
                boolean jsServerOnly = q.getBool("js-server-only");
                boolean jsMetaOnly = q.getBool("js-meta-only");
                boolean details = q.getBool("details");
                return monitor.healthz(new HealthzOptions(jsEnabled || jsEnabledOnly, jsServerOnly, jsMetaOnly,
                        q.get("account"), q.get("stream"), q.get("consumer"), details));
            }
            default -> {
                return null;
            }
        }
    }

    private static MonitorResponse render(String body, MonitorQuery q) {
        String callback = q.get("callback");
        if (!callback.isEmpty()) {
            return new MonitorResponse(200, MonitorResponse.JAVASCRIPT,
                    SubjectBytes.jsonBytes(callback + "(" + body + ")"));
        }
        return new MonitorResponse(200, MonitorResponse.JSON, SubjectBytes.jsonBytes(body));
    }

    private static String index() {
        StringBuilder sb = new StringBuilder(1024);
        sb.append("<html lang=\"en\">\n<head><title>weft monitoring</title>\n")
                .append("<style>body { font-family: sans-serif; margin-left: 32px } a { display: block; padding-bottom: 6px }</style>\n")
                .append("</head>\n<body>\n<h2>weft</h2>\n<p>nats-server ")
                .append(io.weft.engine.server.Server.COMPAT_VERSION).append(" compatible</p>\n");
        String[] labels = {"General", "JetStream", "Connections", "Accounts", "Account Stats", "Subscriptions",
            "Routes", "LeafNodes", "Gateways", "Health Probe"};
        for (int i = 0; i < PATHS.size(); i++) {
            sb.append("<a href=.").append(PATHS.get(i)).append('>').append(labels[i]).append("</a>\n");
        }
        sb.append("<a href=https://docs.nats.io/running-a-nats-service/nats_admin/monitoring>Help</a>\n")
                .append("</body>\n</html>\n");
        return sb.toString();
    }
}
