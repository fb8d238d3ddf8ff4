package dev.evomerge.fitness;

/**
 * Watches a generated answer, piece by piece as tokens decode, for the string that ends it. Each piece is
 * searched together with the last {@code stop.length() - 1} characters before it, so a stop string split
 * across tokens is found and the whole answer is never searched again.
 *
 * @implNote mutable, one per answer; not thread-safe.
 */
final class StopString {
    private final String stop;
    private final StringBuilder text = new StringBuilder();
    private int at = -1;

    StopString(String stop) {
        this.stop = java.util.Objects.requireNonNull(stop, "stop");
    }

    /** Adds the text of the next token(s); true once the stop string has appeared, in this piece or across earlier ones. */
    boolean append(String piece) {
        if (at >= 0) {
            return true;
        }
        int from = Math.max(0, text.length() - stop.length() + 1);
        text.append(piece);
        at = text.indexOf(stop, from);
        return at >= 0;
    }

    boolean stopped() {
        return at >= 0;
    }

    /** The answer: the text before the stop string, or all of it when the stop string has not appeared. */
    String text() {
        return at >= 0 ? text.substring(0, at) : text.toString();
    }
}
