package io.weft.engine.sublist;

/** A subscription with identity equality, like a real client's subscription. */
final class TestSub implements SublistEntry {
    private final String subject;
    private final String queue;
    private final String name;

    TestSub(String name, String subject, String queue) {
        this.name = name;
        this.subject = subject;
        this.queue = queue;
    }

    static TestSub plain(String name, String subject) {
        return new TestSub(name, subject, null);
    }

    static TestSub queue(String name, String subject, String queue) {
        return new TestSub(name, subject, queue);
    }

    @Override
    public String subject() {
        return subject;
    }

    @Override
    public String queue() {
        return queue;
    }

    @Override
    public String toString() {
        return name;
    }
}
