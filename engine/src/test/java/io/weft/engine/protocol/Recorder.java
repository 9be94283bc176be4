package io.weft.engine.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Records every callback as one readable line; accepts all ops. */
final class Recorder implements ProtocolHandler {
    final List<String> ops = new ArrayList<>();

    private static String s(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }

    @Override public void onConnect(String json) { ops.add("CONNECT " + json); }
    @Override public void onPub(String subject, String reply, byte[] p, int off, int len) {
        ops.add("PUB " + subject + " " + reply + " [" + s(p, off, len) + "]");
    }
    @Override public void onHpub(String subject, String reply, byte[] d, int off, int hl, int tl) {
        ops.add("HPUB " + subject + " " + reply + " " + hl + " [" + s(d, off, tl) + "]");
    }
    @Override public void onSub(String subject, String queue, String sid) { ops.add("SUB " + subject + " " + queue + " " + sid); }
    @Override public void onUnsub(String sid, long max) { ops.add("UNSUB " + sid + " " + max); }
    @Override public void onPing() { ops.add("PING"); }
    @Override public void onPong() { ops.add("PONG"); }
    @Override public void onInfo(String json) { ops.add("INFO " + json); }
    @Override public void onMsg(String subject, String sid, String reply, byte[] p, int off, int len) {
        ops.add("MSG " + subject + " " + sid + " " + reply + " [" + s(p, off, len) + "]");
    }
    @Override public void onHmsg(String subject, String sid, String reply, byte[] d, int off, int hl, int tl) {
        ops.add("HMSG " + subject + " " + sid + " " + reply + " " + hl + " [" + s(d, off, tl) + "]");
    }
    @Override public void onOk() { ops.add("+OK"); }
    @Override public void onErr(String message) { ops.add("-ERR " + message); }
}
