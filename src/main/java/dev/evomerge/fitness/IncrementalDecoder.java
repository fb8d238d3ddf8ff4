package dev.evomerge.fitness;

import java.util.function.Function;

/**
 * Turns generated tokens into text as they come, decoding a window of a few tokens per token instead of the
 * whole answer. The text a token adds is decode(window + token) less decode(window), where the window starts
 * at the token before the last one that produced text: tokenizers that write a token differently at the start
 * of a text (SentencePiece's leading space) then read the same as in the whole answer, and a character that
 * takes several byte tokens comes out whole once its last byte arrives (until then the window's text ends in
 * U+FFFD and nothing is emitted). This is how Hugging Face's text-generation-inference streams text.
 *
 * @implNote mutable, one per answer; not thread-safe.
 */
final class IncrementalDecoder {
    private final Function<int[], String> decode;
    private int[] tokens = new int[16];
    private int size;
    /** The window's start: decode(tokens[prefix, read)) has been emitted already. */
    private int prefix;
    /** Tokens before {@code read} have produced their text. */
    private int read;

    /** @param decode a tokenizer's decoding of a token sequence */
    IncrementalDecoder(Function<int[], String> decode) {
        this.decode = decode;
    }

    /** The text {@code token} adds to the answer; empty while it does not yet complete a character. */
    String next(int token) {
        if (size == tokens.length) {
            tokens = java.util.Arrays.copyOf(tokens, 2 * size);
        }
        tokens[size++] = token;
        String before = decode.apply(java.util.Arrays.copyOfRange(tokens, prefix, read));
        String after = decode.apply(java.util.Arrays.copyOfRange(tokens, prefix, size));
        if (after.length() <= before.length() || after.endsWith("\uFFFD")) {
            return "";
        }
        prefix = read;
        read = size;
        return after.substring(before.length());
    }

    /** The text of tokens held back so far (an incomplete character, as the whole answer's decoding shows it). */
    String rest() {
        if (read == size) {
            return "";
        }
        String before = decode.apply(java.util.Arrays.copyOfRange(tokens, prefix, read));
        String after = decode.apply(java.util.Arrays.copyOfRange(tokens, prefix, size));
        return after.length() > before.length() ? after.substring(before.length()) : "";
    }
}
