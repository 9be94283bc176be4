package io.weft.engine.jetstream;

/** A stream's retention policy: {@code limits}, {@code interest} or {@code workqueue}. */
public enum Retention {
    LIMITS("limits"), INTEREST("interest"), WORKQUEUE("workqueue");

    private final String json;

    Retention(String json) {
        this.json = json;
    }

    public String json() {
        return json;
    }

    public static Retention fromJson(String s) {
        for (Retention r : values()) {
            if (r.json.equals(s)) {
                return r;
            }
        }
        throw new IllegalArgumentException(s);
    }
}
