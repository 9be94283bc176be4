import io.weft.engine.protocol.*;
import java.nio.file.*;
import java.util.*;

/** Reads hex-encoded cases (one per line), prints the verdict of a server-like handler over ProtocolParser. */
public class Verdict {
    public static void main(String[] a) throws Exception {
        for (String line : Files.readAllLines(Path.of(a[0]))) {
            byte[] d = HexFormat.of().parseHex(line.trim());
            int[] pongs = {0};
            ProtocolHandler h = new ProtocolHandler() {
                public void onConnect(String j) throws ProtocolException { ConnectOptions.parse(j); }
                public void onPub(String s, String r, byte[] p, int o, int l) {}
                public void onHpub(String s, String r, byte[] p, int o, int hl, int tl) {}
                public void onSub(String s, String q, String sid) {}
                public void onUnsub(String sid, long max) {}
                public void onPing() { pongs[0]++; }
                public void onPong() {}
                public void onInfo(String j) {}
                public void onOk() {}
                public void onErr(String m) throws ProtocolException { throw ProtocolException.silentClose("Client Error"); }
            };
            ProtocolParser p = new ProtocolParser(h, 256, 1024, ProtocolParser.Side.SERVER);
            String v;
            try {
                p.parse(d, 0, d.length);
                v = "open pongs=" + pongs[0];
            } catch (ProtocolException e) {
                v = (e.sendsErr() ? "-ERR '" + e.getMessage() + "'" : "silent") + " closed pongs=" + pongs[0];
            }
            System.out.println(v);
        }
    }
}
