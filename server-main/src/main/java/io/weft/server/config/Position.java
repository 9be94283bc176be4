package io.weft.server.config;

/** Where a key or value came from: file name (as given), 1-based line and column. */
public record Position(String file, int line, int column) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
