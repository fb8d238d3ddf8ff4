package dev.evomerge.model;

import dev.evomerge.fitness.MlpClassifier;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small real checkpoints in the Llama layout, written through the production writer, for tests. */
public final class TinyCheckpoints {
    private TinyCheckpoints() {
    }

    /** The tensors of a Llama with {@code layers} layers, hidden size {@code hidden}, vocabulary {@code vocab}. */
    public static List<TensorInfo> llamaPlan(int layers, int hidden, int vocab, DType dtype) {
        List<TensorInfo> plan = new ArrayList<>();
        plan.add(TensorInfo.of("model.embed_tokens.weight", dtype, vocab, hidden));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "o_proj"}) {
                plan.add(TensorInfo.of(p + "self_attn." + proj + ".weight", dtype, hidden, hidden));
            }
            plan.add(TensorInfo.of(p + "mlp.gate_proj.weight", dtype, 2 * hidden, hidden));
            plan.add(TensorInfo.of(p + "mlp.up_proj.weight", dtype, 2 * hidden, hidden));
            plan.add(TensorInfo.of(p + "mlp.down_proj.weight", dtype, hidden, 2 * hidden));
            plan.add(TensorInfo.of(p + "input_layernorm.weight", dtype, hidden));
            plan.add(TensorInfo.of(p + "post_attention_layernorm.weight", dtype, hidden));
        }
        plan.add(TensorInfo.of("model.norm.weight", dtype, hidden));
        plan.add(TensorInfo.of("lm_head.weight", dtype, vocab, hidden));
        return plan;
    }

    /** Three 4-layer bf16 Llamas (hidden 16, vocabulary 32) named base, a and b under {@code dir}, as merge tests use them. */
    public static void baseAndTwo(Path dir) {
        llama(dir.resolve("base"), 4, 16, 32, DType.BF16, 1, 0.05);
        llama(dir.resolve("a"), 4, 16, 32, DType.BF16, 2, 0.05);
        llama(dir.resolve("b"), 4, 16, 32, DType.BF16, 3, 0.05);
    }

    /**
     * Writes a Llama-layout checkpoint with Gaussian weights from {@code seed} (scaled by {@code scale}),
     * in 8 KiB shards, a config.json and a tokenizer_config.json to carry along; returns its directory.
     */
    public static Path llama(Path dir, int layers, int hidden, int vocab, DType dtype, long seed, double scale) {
        Random random = new Random(seed);
        List<TensorInfo> plan = llamaPlan(layers, hidden, vocab, dtype);
        try (CheckpointWriter writer = CheckpointWriter.create(dir)) {
            try (SafetensorsWriter weights = writer.weights(plan, 8 * 1024, Map.of("format", "pt"))) {
                for (TensorInfo t : plan) {
                    float[] v = new float[(int) t.numel()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (random.nextGaussian() * scale);
                    }
                    weights.write(t.name(), v);
                }
                weights.commit();
            }
            writer.writeFile("config.json", """
                    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d,
                     "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": 2,
                     "num_key_value_heads": 2, "vocab_size": %d, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
                     "tie_word_embeddings": false}
                    """.formatted(hidden, 2 * hidden, layers, vocab));
            writer.writeFile("tokenizer_config.json", "{\"model_max_length\": 128}");
            return writer.commit();
        }
    }

    /**
     * A fine-tune of {@code base}: its tensors plus Gaussian noise from {@code seed} (scaled by {@code noise}),
     * stored in the base's dtypes and shards, with its config.json and carried files; returns its directory.
     */
    public static Path perturbed(Path base, Path dir, long seed, double noise) {
        Random random = new Random(seed);
        try (ModelCheckpoint source = ModelCheckpoint.open(base); CheckpointWriter writer = CheckpointWriter.create(dir)) {
            try (SafetensorsWriter weights = writer.weights(source.weights().tensors(), 8 * 1024, Map.of("format", "pt"))) {
                for (TensorInfo t : source.weights().tensors()) {
                    float[] v = source.weights().readFloats(t.name());
                    for (int i = 0; i < v.length; i++) {
                        v[i] += (float) (random.nextGaussian() * noise);
                    }
                    weights.write(t.name(), v);
                }
                weights.commit();
            }
            writer.writeFile("config.json", source.config().toPrettyString());
            source.carriedFiles().forEach(writer::copyFile);
            return writer.commit();
        }
    }

    /**
     * Writes a word-level tokenizer.json into {@code dir}: words {@code w0 … w(vocab−1)} split on whitespace,
     * token i for word wi, unknown words as w0.
     */
    public static void wordTokenizer(Path dir, int vocab) {
        String words = java.util.stream.IntStream.range(0, vocab).mapToObj(i -> "\"w" + i + "\": " + i)
                .collect(java.util.stream.Collectors.joining(", "));
        try {
            java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), """
                    {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                     "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
                     "model": {"type": "WordLevel", "vocab": {%s}, "unk_token": "w0"}}
                    """.formatted(words));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Writes an MLP classifier's weights stored as {@code dtype} (rounded from f32 by the writer), with its
     * config.json; returns its directory. {@link MlpClassifier#write} stores f32 only.
     */
    public static Path mlp(Path dir, MlpClassifier mlp, Map<String, float[]> weights, DType dtype) {
        List<TensorInfo> plan = mlp.tensors().stream().map(t -> t.withDtype(dtype)).toList();
        try (CheckpointWriter writer = CheckpointWriter.create(dir)) {
            try (SafetensorsWriter w = writer.weights(plan, Long.MAX_VALUE, Map.of("format", "pt"))) {
                for (TensorInfo t : plan) {
                    w.write(t.name(), weights.get(t.name()));
                }
                w.commit();
            }
            writer.writeFile("config.json", mlp.config().toPrettyString());
            return writer.commit();
        }
    }
}
