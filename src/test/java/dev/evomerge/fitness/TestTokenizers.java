package dev.evomerge.fitness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Small real tokenizer.json files of the three kinds of decoding tokenizers do, written for tests. */
final class TestTokenizers {
    private TestTokenizers() {
    }

    /** Word-level, no decoder (tokens are joined with spaces): word "wK" is token K, for K below {@code vocab}. */
    static Path wordLevel(Path dir, int vocab) {
        String words = IntStream.range(0, vocab).mapToObj(i -> "\"w" + i + "\": " + i).collect(Collectors.joining(", "));
        return write(dir, """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {%s}, "unk_token": "w0"}}
                """.formatted(words));
    }

    /**
     * GPT-2's byte-level BPE with no merges: token K is byte K, so a character outside ASCII takes several
     * tokens and decoding part of one gives U+FFFD.
     */
    static Path byteLevel(Path dir) {
        List<String> entries = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            entries.add("\"" + escape(byteChar(b)) + "\": " + b);
        }
        return write(dir, """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "post_processor": null, "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                           "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "vocab": {%s}, "merges": []}}
                """.formatted(String.join(", ", entries)));
    }

    /**
     * SentencePiece-style: words carry a leading "▁" that decodes to a space, except at the very start of a
     * text, so a word decoded on its own lacks the space it has after another word.
     */
    static Path metaspace(Path dir, List<String> words) {
        String vocab = IntStream.range(0, words.size()).mapToObj(i -> "\"▁" + words.get(i) + "\": " + i).collect(Collectors.joining(", "));
        return write(dir, """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
                 "post_processor": null, "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
                 "model": {"type": "WordLevel", "vocab": {%s}, "unk_token": "▁%s"}}
                """.formatted(vocab, words.getFirst()));
    }

    /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for code points from 256 up. */
    private static String byteChar(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) {
            return Character.toString(b);
        }
        int shifted = 0;
        for (int c = 0; c < b; c++) {
            if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) {
                shifted++;
            }
        }
        return Character.toString(256 + shifted);
    }

    private static String escape(String s) {
        return s.equals("\"") ? "\\\"" : s.equals("\\") ? "\\\\" : s;
    }

    private static Path write(Path dir, String json) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("tokenizer.json"), json);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
