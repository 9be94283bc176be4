package io.weft.server.cli;

/** Bad command line: the message is what to print (nats-server's wording), followed by a usage hint. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    /** The message plus a hint on how to get help, ready to print to stderr. */
    public String withHint() {
        return getMessage() + "\nRun 'weft serve --help' for usage.";
    }
}
