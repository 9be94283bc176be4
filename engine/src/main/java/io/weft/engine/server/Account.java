package io.weft.engine.server;

import io.weft.engine.sublist.Sublist;
import java.util.concurrent.atomic.LongAdder;

/** An isolated subject space: its own sublist; clients of one account never see another's messages. */
public final class Account {
    public static final String GLOBAL = "$G";

    private final String name;
    final Sublist<Subscription> sublist = new Sublist<>();
    final LongAdder clients = new LongAdder();

    Account(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public Sublist<?> sublist() {
        return sublist;
    }

    public long clientCount() {
        return clients.sum();
    }
}
