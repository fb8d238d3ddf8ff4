package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token by token, the pieces add up to the whole answer's decoding, while each decoding reads only a few tokens. */
class IncrementalDecoderTest {
    @TempDir
    Path dir;

    /** The pieces, token by token, then what is held back; checks the windows decoded stay short. */
    private static List<String> pieces(Tokenizer tokenizer, int[] tokens, int longestWindow) {
        List<Integer> windows = new ArrayList<>();
        Function<int[], String> decode = ids -> {
            windows.add(ids.length);
            return tokenizer.decode(ids);
        };
        IncrementalDecoder decoder = new IncrementalDecoder(decode);
        List<String> pieces = new ArrayList<>();
        for (int t : tokens) {
            pieces.add(decoder.next(t));
        }
        pieces.add(decoder.rest());
        int longest = windows.stream().mapToInt(Integer::intValue).max().orElse(0);
        assertTrue(longest <= longestWindow, "decoded a window of " + longest + " tokens of " + tokens.length);
        return pieces;
    }

    @Test
    void wordLevelPiecesCarryTheSpacesBetweenWords() {
        try (Tokenizer tokenizer = Tokenizer.of(TestTokenizers.wordLevel(dir, 50))) {
            int[] tokens = tokenizer.encode("w3 w14 w15 w9 w2 w6 w5 w35 w8 w9 w7 w9 w3 w2 w3 w8 w4 w6");
            List<String> pieces = pieces(tokenizer, tokens, 2);
            assertEquals(List.of("w3", " w14", " w15"), pieces.subList(0, 3));
            assertEquals(tokenizer.decode(tokens), String.join("", pieces));
        }
    }

    @Test
    void aCharacterOfSeveralByteTokensComesOutWholeWithItsLastByte() {
        try (Tokenizer tokenizer = Tokenizer.of(TestTokenizers.byteLevel(dir))) {
            String text = "Grüße, 東京! ✓ done";
            int[] tokens = tokenizer.encode(text);
            assertEquals(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, tokens.length, "one token per byte");
            // a window holds the last character given out and the bytes of the next: two characters of up to four bytes
            List<String> pieces = pieces(tokenizer, tokens, 8);
            assertEquals(text, String.join("", pieces));
            // "東" is three bytes: nothing for the first two, the character with the third
            int at = "Grüße, ".getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            assertEquals(List.of("", "", "東"), pieces.subList(at, at + 3));
            for (String piece : pieces) {
                assertTrue(!piece.contains("\uFFFD"), "no replacement character in " + pieces);
            }
        }
    }

    @Test
    void anUnfinishedCharacterAtTheEndReadsAsTheWholeDecodingShowsIt() {
        try (Tokenizer tokenizer = Tokenizer.of(TestTokenizers.byteLevel(dir))) {
            int[] whole = tokenizer.encode("ok 東");
            int[] cut = java.util.Arrays.copyOf(whole, whole.length - 1); // the last byte of 東 never came
            assertEquals(tokenizer.decode(cut), String.join("", pieces(tokenizer, cut, 8)));
        }
    }

    @Test
    void sentencePieceWordsKeepTheSpaceTheyLoseWhenDecodedAlone() {
        try (Tokenizer tokenizer = Tokenizer.of(TestTokenizers.metaspace(dir, List.of("the", "cat", "sat", "on", "mat")))) {
            int[] tokens = tokenizer.encode("the cat sat on the mat");
            assertEquals("cat", tokenizer.decode(new int[] {tokens[1]}), "a word alone has no space");
            List<String> pieces = pieces(tokenizer, tokens, 2);
            assertEquals(List.of("the", " cat", " sat", " on", " the", " mat", ""), pieces);
            assertEquals(tokenizer.decode(tokens), String.join("", pieces));
        }
    }
}
