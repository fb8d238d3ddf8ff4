package dev.evomerge.fitness;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model's tokenizer from its {@code tokenizer.json}, through DJL's binding of Hugging Face tokenizers
 * (the native library ships in the jar; nothing is downloaded). For language models text is encoded without
 * special tokens (tasks decide what a prompt is); for embedding models with them ({@code [CLS] … [SEP]}),
 * truncated to the longest sequence the task allows.
 */
public final class Tokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final boolean specialTokens;

    private Tokenizer(HuggingFaceTokenizer tokenizer, boolean specialTokens) {
        this.tokenizer = tokenizer;
        this.specialTokens = specialTokens;
    }

    /** The tokenizer.json in {@code modelDir}, without special tokens. */
    public static Tokenizer of(Path modelDir) {
        return new Tokenizer(load(modelDir, Map.of("addSpecialTokens", "false")), false);
    }

    /** The tokenizer.json in {@code modelDir}, adding the model's special tokens and truncating to {@code maxLength} tokens. */
    public static Tokenizer forEmbeddings(Path modelDir, int maxLength) {
        return new Tokenizer(load(modelDir, Map.of("addSpecialTokens", "true", "truncation", "true", "padding", "false",
                "maxLength", String.valueOf(maxLength))), true);
    }

    private static HuggingFaceTokenizer load(Path modelDir, Map<String, String> options) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new EvomergeException(modelDir + ": no tokenizer.json (text tasks need the base model's tokenizer)");
        }
        try {
            return HuggingFaceTokenizer.newInstance(file, options);
        } catch (IOException | RuntimeException e) {
            throw new EvomergeException(file + ": not a tokenizer this version reads: " + e.getMessage(), e);
        }
    }

    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, specialTokens, false).getIds();
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
