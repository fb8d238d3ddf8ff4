package dev.evomerge.fitness;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model's tokenizer from its {@code tokenizer.json}, through DJL's binding of Hugging Face tokenizers
 * (the native library ships in the jar; nothing is downloaded). Text is encoded without special tokens:
 * tasks decide what a prompt is.
 */
public final class Tokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private Tokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The tokenizer.json in {@code modelDir}. */
    public static Tokenizer of(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new EvomergeException(modelDir + ": no tokenizer.json (text tasks need the base model's tokenizer)");
        }
        try {
            return new Tokenizer(HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false")));
        } catch (IOException | RuntimeException e) {
            throw new EvomergeException(file + ": not a tokenizer this version reads: " + e.getMessage(), e);
        }
    }

    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    public String decode(int[] ids) {
        return tokenizer.decode(java.util.Arrays.stream(ids).asLongStream().toArray(), true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
