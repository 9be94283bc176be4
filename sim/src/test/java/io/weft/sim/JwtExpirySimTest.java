package io.weft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.engine.ServerOptions;
import io.weft.engine.auth.Nkeys;
import io.weft.engine.auth.OperatorMode;
import io.weft.net.Clock;
import io.weft.sim.world.SimClient;
import io.weft.sim.world.SimNode;
import io.weft.sim.world.SimResult;
import io.weft.sim.world.SimWorld;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connected user whose JWT expires is disconnected with {@code -ERR 'User Authentication
 * Expired'} on the engine's Clock: in the simulation it happens at the JWT's {@code exp} in
 * virtual time, not earlier and not a second late, and the same seed gives the same trace.
 */
@Timeout(60)
class JwtExpirySimTest {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";

    private static String sign(String claims, Nkeys.KeyPair signer) {
        String input = B64.encodeToString(HEADER.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        return input + "." + B64.encodeToString(Nkeys.sign(signer.seed(), input.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String claims(Nkeys.KeyPair issuer, String sub, String type, String extra, long iat) {
        return "{\"iat\":" + iat + ",\"iss\":\"" + issuer.publicKey() + "\",\"sub\":\"" + sub + "\",\"jti\":\"J" + sub
                + "\",\"nats\":{\"type\":\"" + type + "\",\"version\":2" + extra + "}" + "}";
    }

    /** What happened, for comparison between runs: lines with virtual times. */
    private static List<String> run(long seed, SimResult[] result) {
        List<String> seen = new ArrayList<>();
        SimEntropy keys = new SimEntropy(seed);
        Nkeys.KeyPair operator = Nkeys.create(Nkeys.Type.OPERATOR, keys);
        Nkeys.KeyPair account = Nkeys.create(Nkeys.Type.ACCOUNT, keys);
        Nkeys.KeyPair user = Nkeys.create(Nkeys.Type.USER, keys);
        String opJwt = sign(claims(operator, operator.publicKey(), "operator", "", 1), operator);
        String accJwt = sign(claims(operator, account.publicKey(), "account", ",\"limits\":{\"subs\":-1,\"data\":-1,"
                + "\"payload\":-1,\"imports\":-1,\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1}", 1), operator);
        ServerOptions opts = new ServerOptions();
        opts.port = 4222;
        opts.auth.applyOperatorMode(OperatorMode.build(List.of(opJwt), List.of(), Map.of(account.publicKey(), accJwt), 1));
        SimWorld world = new SimWorld(seed);
        SimNode node = world.addNode("n1", opts);
        SimClient client = world.addClient(SimClient.DeliveryTap.all());
        result[0] = world.run("jwt-expiry", w -> {
            node.start();
            Clock clock = node.env().clock();
            long nowSeconds = clock.currentTimeMillis() / 1000;
            long exp = nowSeconds + 5;
            String userJwt = sign(claims(account, user.publicKey(), "user", ",\"pub\":{},\"sub\":{},\"subs\":-1,"
                    + "\"data\":-1,\"payload\":-1", nowSeconds) .replace("\"iat\"", "\"exp\":" + exp + ",\"iat\""), account);
            client.credentials(userJwt, user.seed());
            client.connect(w.network().host("c0"), "n1", 4222);
            client.flush();
            seen.add("connected, errors " + client.errors());
            clock.sleep(Duration.ofSeconds(exp - nowSeconds - 1));
            client.flush();
            seen.add("a second before exp: ended " + client.ended() + ", errors " + client.errors());
            long deadline = clock.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (!client.ended() && clock.nanoTime() < deadline) {
                clock.sleep(Duration.ofMillis(50));
            }
            long endedAtMillis = clock.currentTimeMillis();
            seen.add("ended " + client.ended() + ", errors " + client.errors());
            seen.add("ended within exp's second or the next: " + (endedAtMillis / 1000 >= exp - 1 && endedAtMillis / 1000 <= exp + 1));
            seen.add("at " + endedAtMillis);
        });
        return seen;
    }

    @Test
    void expiredUserIsDisconnectedOnTheVirtualClock() {
        SimResult[] r = new SimResult[1];
        List<String> seen = run(11, r);
        assertTrue(r[0].passed(), r[0].line() + " " + r[0].failures());
        assertEquals("connected, errors []", seen.get(0));
        assertEquals("a second before exp: ended false, errors []", seen.get(1));
        assertEquals("ended true, errors [-ERR User Authentication Expired]", seen.get(2), seen.toString());
        assertEquals("ended within exp's second or the next: true", seen.get(3), seen.toString());
        SimResult[] again = new SimResult[1];
        assertEquals(seen, run(11, again));
        assertEquals(r[0].traceHash(), again[0].traceHash());
    }
}
