package dev.evomerge;

/**
 * An error the user can cause and fix: a bad YAML file, a corrupt or mismatched checkpoint, a bad value.
 *
 * <p>The message is the whole story for the user: what went wrong, where (file, key, tensor) and what to
 * do. The CLI prints it as one line, {@code evomerge: <message>}, and exits 1; no stack trace. Anything
 * that is not an {@code EvomergeException} is a bug in evomerge and may show a trace.
 */
public final class EvomergeException extends RuntimeException {
    public EvomergeException(String message) {
        super(message);
    }

    public EvomergeException(String message, Throwable cause) {
        super(message, cause);
    }
}
