package io.weft.engine.sys;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.databind.JsonNode;
import io.weft.engine.auth.Jwt;
import io.weft.engine.auth.Nkeys;
import io.weft.engine.auth.OperatorMode;
import io.weft.engine.json.GoJson;
import io.weft.engine.server.Account;
import io.weft.engine.server.InternalSubscription;
import io.weft.engine.server.Server;
import io.weft.engine.server.ServerService;
import io.weft.net.Disk;
import io.weft.net.DiskFile;
import io.weft.store.SubjectBytes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The full NATS-based account resolver ({@code resolver { type: full, dir }}), as nats-server's:
 * account JWTs are files {@code <dir>/<public key>.jwt}, and the system account serves
 * <ul>
 * <li>{@code $SYS.REQ.CLAIMS.UPDATE}, {@code $SYS.REQ.ACCOUNT.<key>.CLAIMS.UPDATE} (and the older
 * {@code $SYS.ACCOUNT.<key>.CLAIMS.UPDATE}): a new account JWT, checked, stored and applied to the
 * account's connected clients (a revoked user is told {@code User Authentication Revoked} and
 * closed); the answer is nats-server's {@code {"server":..,"data":{"account","code":200,"message":"jwt updated"}}}
 * or {@code "error":{"account","code":500,"description"}};</li>
 * <li>{@code $SYS.REQ.ACCOUNT.<key>.CLAIMS.LOOKUP}: the stored JWT, or an empty message;</li>
 * <li>{@code $SYS.REQ.CLAIMS.LIST}: the stored accounts' keys;</li>
 * <li>{@code $SYS.REQ.CLAIMS.DELETE} (with {@code allow_delete}): a generic JWT self-signed by the
 * operator (or its signing key) whose {@code accounts} lists what to delete; the files are renamed
 * to {@code .jwt.deleted} ({@code hard_delete}: removed) and the accounts' clients closed.</li>
 * </ul>
 * Only users of the system account reach these subjects. An account JWT weft cannot enforce is
 * refused with the reason (nats-server would store it); it is never stored half-understood.
 * Requests run one at a time on a thread of their own; files go through the Env's Disk.
 */
public final class ClaimsResolver implements ServerService {
    private static final String UPDATE = "$SYS.REQ.CLAIMS.UPDATE";
    private static final String UPDATE_NEW = "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE";
    private static final String UPDATE_OLD = "$SYS.ACCOUNT.*.CLAIMS.UPDATE";
    private static final String LOOKUP = "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP";
    private static final String LIST = "$SYS.REQ.CLAIMS.LIST";
    private static final String DELETE = "$SYS.REQ.CLAIMS.DELETE";

    private final Server server;
    private final SystemServices sysServices;
    private final OperatorMode.Resolver settings;
    private final Disk disk;
    private final GoJson json = new GoJson();
    private final List<InternalSubscription> subs = new ArrayList<>();
    private final Object lock = new Object();
    private volatile Account sys;

    ClaimsResolver(Server server, SystemServices sysServices, OperatorMode.Resolver settings) {
        this.server = server;
        this.sysServices = sysServices;
        this.settings = settings;
        this.disk = server.env().disk();
    }

    /**
     * Writes the account JWTs the directory does not hold yet (the preloaded ones) and subscribes
     * the services in the system account.
     */
    void start(Account sysAccount) throws IOException {
        sys = sysAccount;
        if (settings != null) {
            disk.mkdirs(settings.dir());
            for (Map.Entry<String, String> e : server.options().auth.operatorMode.accountJwts().entrySet()) {
                if (!e.getValue().equals(read(e.getKey()))) {
                    write(e.getKey(), e.getValue());
                }
            }
            subs.add(sysAccount.subscribe(UPDATE, null, (subject, reply, data, off, hdrLen, totalLen) ->
                    spawn("claims-update", () -> update(null, reply, body(data, off, hdrLen, totalLen)))));
        }
        for (String s : List.of(UPDATE_NEW, UPDATE_OLD)) {
            int index = s.startsWith("$SYS.REQ.") ? 3 : 2;
            subs.add(sysAccount.subscribe(s, null, (subject, reply, data, off, hdrLen, totalLen) -> {
                String key = subject.split("\\.", -1)[index];
                spawn("claims-update", () -> update(key, reply, body(data, off, hdrLen, totalLen)));
            }));
        }
        server.addService(this);
        if (settings == null) {
            return; // the memory resolver: updates of the loaded accounts only, kept in memory
        }
        subs.add(sysAccount.subscribe(LOOKUP, null, (subject, reply, data, off, hdrLen, totalLen) -> {
            String key = subject.split("\\.", -1)[3];
            if (reply != null && !reply.isEmpty()) {
                spawn("claims-lookup", () -> lookup(key, reply));
            }
        }));
        subs.add(sysAccount.subscribe(LIST, null, (subject, reply, data, off, hdrLen, totalLen) -> {
            if (reply != null && !reply.isEmpty()) {
                spawn("claims-list", () -> list(reply));
            }
        }));
        subs.add(sysAccount.subscribe(DELETE, null, (subject, reply, data, off, hdrLen, totalLen) ->
                spawn("claims-delete", () -> delete(reply, body(data, off, hdrLen, totalLen)))));
        server.log().notice("Managing all jwt in exclusive directory " + settings.dir());
    }

    @Override
    public void stop() {
        Account a = sys;
        if (a != null) {
            subs.forEach(a::unsubscribe);
        }
        subs.clear();
    }

    private void spawn(String name, Runnable r) {
        server.env().spawner().spawn(name, () -> {
            synchronized (lock) {
                r.run();
            }
        });
    }

    private static String body(byte[] data, int off, int hdrLen, int totalLen) {
        return new String(data, off + hdrLen, totalLen - hdrLen, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- update

    private void update(String subjectKey, String reply, String token) {
        if (settings == null && token.isEmpty()) {
            respond(reply, subjectKey, "jwt update error", "request body is empty");
            return;
        }
        String failed = settings == null ? subjectKey : "n/a";
        Jwt claim;
        try {
            if (token.isEmpty()) {
                throw new Jwt.JwtException("expected 3 chunks"); // nats-io/jwt's words for an empty token
            }
            claim = Jwt.decode(token);
        } catch (Jwt.JwtException e) {
            respond(reply, failed, "jwt update resulted in error", e.getMessage());
            return;
        }
        if (!"account".equals(claim.type())) {
            respond(reply, failed, "jwt update resulted in error", "not account claim");
            return;
        }
        String key = claim.subject();
        if (subjectKey != null && !subjectKey.equals(key)) {
            respond(reply, subjectKey, "jwt update resulted in error", "subject does not match jwt content");
            return;
        }
        if (!Nkeys.isValidPublicKey(Nkeys.Type.ACCOUNT, key)) {
            respond(reply, key, "jwt update resulted in error", "invalid public key");
            return;
        }
        OperatorMode current = server.options().auth.operatorMode;
        Map<String, String> next = new LinkedHashMap<>(current.accountJwts());
        if (settings == null && !next.containsKey(key)) {
            respond(reply, key, "jwt update skipped", null); // the memory resolver knows only its preloaded accounts
            return;
        }
        if (settings != null && !next.containsKey(key) && next.size() >= settings.limit()) {
            respond(reply, key, "jwt update resulted in error", "jwt store is full");
            return;
        }
        next.put(key, claim.token());
        OperatorMode mode;
        try {
            mode = current.withAccounts(next, nowSeconds());
        } catch (IllegalArgumentException e) {
            respond(reply, key, "jwt update resulted in error", e.getMessage());
            return;
        }
        try {
            if (settings != null) {
                write(key, claim.token());
            }
        } catch (IOException e) {
            respond(reply, key, "jwt update resulted in error", String.valueOf(e.getMessage()));
            return;
        }
        server.updateOperatorMode(mode);
        respond(reply, key, "jwt updated", null);
    }

    // ---------------------------------------------------------------- lookup, list

    private void lookup(String key, String reply) {
        String jwt = Nkeys.isValidPublicKey(Nkeys.Type.ACCOUNT, key) ? read(key) : null;
        if (jwt == null) {
            server.log().debug("DirResolver - Could not find account \"" + key + "\"");
        }
        publish(reply, jwt == null ? new byte[0] : jwt.getBytes(StandardCharsets.UTF_8));
    }

    private void list(String reply) {
        List<String> ids = new ArrayList<>();
        try {
            for (String name : disk.list(settings.dir())) {
                if (name.endsWith(".jwt")) {
                    ids.add(name.substring(0, name.length() - ".jwt".length()));
                }
            }
        } catch (IOException e) {
            server.log().error("list request error: " + e.getMessage());
            return; // let them time out, as nats-server does
        }
        publish(reply, SubjectBytes.jsonBytes(json.compact(new ListReply(sysServices.info(), ids))));
    }

    // ---------------------------------------------------------------- delete

    private void delete(String reply, String token) {
        String by = "";
        String problem = null;
        List<String> keys = new ArrayList<>();
        OperatorMode current = server.options().auth.operatorMode;
        try {
            Jwt req = Jwt.decode(token);
            by = req.subject();
            JsonNode list = req.nats().path("accounts");
            if (!settings.allowDelete()) {
                problem = "delete must be enabled in server config";
            } else if (!req.subject().equals(req.issuer())) {
                problem = "not self signed";
            } else if (!current.operatorSubjects().contains(req.issuer())) {
                problem = "not trusted";
            } else if (!list.isArray()) {
                problem = "malformed request";
            } else {
                String sysName = server.options().effectiveSystemAccount();
                for (JsonNode k : list) {
                    if (!k.isTextual() || !Nkeys.isValidPublicKey(Nkeys.Type.ACCOUNT, k.asText())) {
                        problem = "malformed request";
                        break;
                    }
                    if (k.asText().equals(sysName)) {
                        problem = "not allowed to delete system account";
                        break;
                    }
                    keys.add(k.asText());
                }
            }
        } catch (Jwt.JwtException e) {
            problem = e.getMessage();
        }
        if (problem != null) {
            respond(reply, "", "delete accounts request by " + by + " failed", problem);
            return;
        }
        Map<String, String> next = new LinkedHashMap<>(current.accountJwts());
        List<String> errors = new ArrayList<>();
        int passed = 0;
        for (String k : keys) {
            try {
                String path = path(k);
                if (disk.exists(path)) {
                    if (settings.hardDelete()) {
                        disk.delete(path);
                    } else {
                        disk.rename(path, path + ".deleted");
                    }
                    disk.syncDir(settings.dir());
                }
                next.remove(k);
                passed++;
            } catch (IOException e) {
                errors.add(String.valueOf(e.getMessage()));
            }
        }
        try {
            server.updateOperatorMode(current.withAccounts(next, nowSeconds()));
        } catch (IllegalArgumentException e) {
            // another account imports from a deleted one: the files are gone, so is the import at restart
            errors.add(e.getMessage());
        }
        if (errors.isEmpty()) {
            respond(reply, "", "deleted " + passed + " accounts", null);
        } else {
            respond(reply, "", "deleted " + passed + " accounts, failed for " + errors.size(), String.join("\n", errors));
        }
    }

    // ---------------------------------------------------------------- files

    private String path(String key) {
        return settings.dir() + "/" + key + ".jwt";
    }

    /** The stored JWT of an account, or null. */
    private String read(String key) {
        String path = path(key);
        if (!disk.exists(path)) {
            return null;
        }
        try (DiskFile f = disk.open(path, false)) {
            ByteBuffer b = ByteBuffer.allocate((int) f.size());
            while (b.hasRemaining() && f.read(b, b.position()) > 0) {
                // reads until full
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            server.log().error("DirResolver - Error looking up account \"" + key + "\": " + e.getMessage());
            return null;
        }
    }

    /** Writes a JWT whole: a temporary file, forced, then renamed over the account's file. */
    private void write(String key, String jwt) throws IOException {
        String tmp = path(key) + ".tmp";
        byte[] bytes = jwt.getBytes(StandardCharsets.UTF_8);
        try (DiskFile f = disk.open(tmp, true)) {
            f.truncate(0);
            f.write(ByteBuffer.wrap(bytes), 0);
            f.force();
        }
        disk.rename(tmp, path(key));
        disk.syncDir(settings.dir());
    }

    // ---------------------------------------------------------------- replies

    private long nowSeconds() {
        return Math.floorDiv(server.env().clock().currentTimeMillis(), 1000);
    }

    /** nats-server's respondToUpdate: logged (debug when it worked, error when not), then answered. */
    private void respond(String reply, String account, String message, String error) {
        if (error == null) {
            server.log().debug(account.isEmpty() ? message : message + " - " + account);
        } else {
            server.log().error(account.isEmpty() ? message + " - " + error : message + " - " + account + " - " + error);
        }
        if (reply == null || reply.isEmpty()) {
            return;
        }
        Object out = error == null
                ? new UpdateReply(sysServices.info(), new Status(account, 200, message), null)
                : new UpdateReply(sysServices.info(), null, new Failure(account, 500, message + " - " + error));
        publish(reply, SubjectBytes.jsonBytes(json.compact(out)));
    }

    private void publish(String reply, byte[] body) {
        Account a = sys;
        if (a != null) {
            a.publish(reply, null, null, body);
        }
    }

    @JsonInclude(Include.NON_EMPTY)
    record Status(String account, int code, String message) {
    }

    @JsonInclude(Include.NON_EMPTY)
    record Failure(String account, int code, String description) {
    }

    record UpdateReply(SystemServices.ServerInfo server, @JsonInclude(Include.NON_NULL) Status data,
                       @JsonInclude(Include.NON_NULL) Failure error) {
    }

    record ListReply(SystemServices.ServerInfo server, List<String> data) {
    }
}
