package dev.evomerge.merge;

import dev.evomerge.model.CheckpointWriter;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.SafetensorsCheckpoint;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A base model and fine-tunes of it as bf16 checkpoints, for benchmarks, with the differences real fine-tunes
 * have rather than smooth curves: each fine-tune is the bf16 base plus a low-rank update, sparse outliers and
 * dense noise, rounded to bf16 once (as a fine-tune trained from the base and saved in bf16 is). So a merge sees
 * what a real TIES merge sees: deltas of a few bf16 steps, many rounded to zero, sign conflicts between models,
 * and a few large entries that decide the magnitude thresholds. Every tensor comes from a seed of its name and
 * model, so the same layout always gives the same bytes.
 */
public final class SyntheticFineTunes {
    /** A base's matrices: about the spread of a trained transformer's weights. */
    private static final double BASE_STD = 0.02;
    /** The low-rank update's rank and the spread of its entries (a few bf16 steps at the base's magnitude). */
    private static final int RANK = 8;
    private static final double LOW_RANK_STD = 4e-4;
    /** The share of entries a fine-tune moves far, and how far. */
    private static final double OUTLIER_SHARE = 1e-3;
    private static final double OUTLIER_STD = 4e-3;
    /** Dense noise, about one bf16 step: most of it rounds away, as in a real bf16 fine-tune. */
    private static final double NOISE_STD = 1e-4;
    /** Norms' scales (near 1, where a bf16 step is 0.008) move by about a step in a fine-tune. */
    private static final double SCALE_NOISE_STD = 4e-3;

    private SyntheticFineTunes() {
    }

    /** A Llama-shaped model: its tensors and its config.json. */
    public record Layout(List<TensorInfo> tensors, String config) {
        public Layout {
            tensors = List.copyOf(tensors);
        }

        /**
         * A Llama of hidden size 1024, MLP width 3584 and a 4096-token vocabulary with as many layers as make about
         * {@code bytesPerModel} bytes of bf16 (at 0.5 GB: 16 layers, 147 tensors), at least one.
         */
        public static Layout llama(long bytesPerModel) {
            int hidden = 1024;
            int intermediate = 3584;
            int vocab = 4096;
            long perLayer = 2L * (4L * hidden * hidden + 3L * hidden * intermediate + 2L * hidden);
            long embeddings = 2L * 2 * vocab * hidden + 2L * hidden;
            return llama((int) Math.max(1, Math.round((double) (bytesPerModel - embeddings) / perLayer)), hidden, intermediate, vocab);
        }

        /** A Llama of these sizes (attention without grouped keys; untied head). */
        public static Layout llama(int layers, int hidden, int intermediate, int vocab) {
            List<TensorInfo> plan = new ArrayList<>();
            plan.add(TensorInfo.of("model.embed_tokens.weight", DType.BF16, vocab, hidden));
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "o_proj"}) {
                    plan.add(TensorInfo.of(p + "self_attn." + proj + ".weight", DType.BF16, hidden, hidden));
                }
                plan.add(TensorInfo.of(p + "mlp.gate_proj.weight", DType.BF16, intermediate, hidden));
                plan.add(TensorInfo.of(p + "mlp.up_proj.weight", DType.BF16, intermediate, hidden));
                plan.add(TensorInfo.of(p + "mlp.down_proj.weight", DType.BF16, hidden, intermediate));
                plan.add(TensorInfo.of(p + "input_layernorm.weight", DType.BF16, hidden));
                plan.add(TensorInfo.of(p + "post_attention_layernorm.weight", DType.BF16, hidden));
            }
            plan.add(TensorInfo.of("model.norm.weight", DType.BF16, hidden));
            plan.add(TensorInfo.of("lm_head.weight", DType.BF16, vocab, hidden));
            return new Layout(plan, config(hidden, intermediate, layers, vocab));
        }

        /** Four tensors (embeddings, one attention matrix, the final norm, the head): a merge that is nearly all start-up. */
        public static Layout fourTensors() {
            int hidden = 256;
            int vocab = 1024;
            return new Layout(List.of(TensorInfo.of("model.embed_tokens.weight", DType.BF16, vocab, hidden),
                    TensorInfo.of("model.layers.0.self_attn.q_proj.weight", DType.BF16, hidden, hidden),
                    TensorInfo.of("model.norm.weight", DType.BF16, hidden),
                    TensorInfo.of("lm_head.weight", DType.BF16, vocab, hidden)), config(hidden, 2 * hidden, 1, vocab));
        }

        private static String config(int hidden, int intermediate, int layers, int vocab) {
            return """
                    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d, "intermediate_size": %d,
                     "num_hidden_layers": %d, "num_attention_heads": 8, "num_key_value_heads": 8, "vocab_size": %d,
                     "rms_norm_eps": 1e-5, "torch_dtype": "bfloat16"}
                    """.formatted(hidden, intermediate, layers, vocab);
        }
    }

    /**
     * Writes {@code base} and {@code ft1…ftN} of {@code layout} under {@code dir} (in 512 MB shards), skipping those
     * already there; returns their directories, base first.
     */
    public static List<Path> write(Path dir, Layout layout, int fineTunes) {
        List<Path> models = new ArrayList<>();
        Path base = dir.resolve("base");
        models.add(base);
        if (!Files.exists(base)) {
            writeModel(base, layout, (t, values) -> base(t, values));
        }
        try (SafetensorsCheckpoint baseWeights = SafetensorsCheckpoint.open(base)) {
            for (int m = 1; m <= fineTunes; m++) {
                Path out = dir.resolve("ft" + m);
                models.add(out);
                if (!Files.exists(out)) {
                    final int model = m;
                    writeModel(out, layout, (t, values) -> {
                        baseWeights.readFloats(t.name(), values); // a fine-tune starts from the base as stored
                        addDelta(t, model, values);
                    });
                }
            }
        }
        return models;
    }

    private interface Fill {
        void fill(TensorInfo tensor, float[] values);
    }

    private static void writeModel(Path out, Layout layout, Fill fill) {
        try (CheckpointWriter writer = CheckpointWriter.create(out)) {
            try (SafetensorsWriter weights = writer.weights(layout.tensors(), 512L << 20, Map.of("format", "pt"))) {
                layout.tensors().parallelStream().forEach(t -> {
                    float[] values = new float[Math.toIntExact(t.numel())];
                    fill.fill(t, values);
                    weights.write(t.name(), values);
                });
                weights.commit();
            }
            writer.writeFile("config.json", layout.config());
            writer.commit();
        }
    }

    private static SplittableRandom random(TensorInfo t, int model) {
        return new SplittableRandom(t.name().hashCode() * 1_000_003L + model);
    }

    /** Matrices Gaussian, norms' scales near 1. */
    private static void base(TensorInfo t, float[] values) {
        SplittableRandom random = random(t, 0);
        boolean scale = t.shape().length == 1;
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (scale ? 1 + random.nextGaussian() * BASE_STD : random.nextGaussian() * BASE_STD);
        }
    }

    /** Adds fine-tune {@code model}'s difference: low rank (matrices only), sparse outliers and noise. */
    private static void addDelta(TensorInfo t, int model, float[] values) {
        SplittableRandom random = random(t, model);
        if (t.shape().length == 2) {
            int rows = (int) t.shape()[0];
            int cols = (int) t.shape()[1];
            float[][] v = new float[RANK][cols];
            for (float[] row : v) {
                for (int j = 0; j < cols; j++) {
                    row[j] = (float) random.nextGaussian();
                }
            }
            float scale = (float) (LOW_RANK_STD / Math.sqrt(RANK));
            float[] u = new float[RANK];
            for (int i = 0; i < rows; i++) {
                for (int r = 0; r < RANK; r++) {
                    u[r] = (float) random.nextGaussian() * scale;
                }
                int at = i * cols;
                for (int r = 0; r < RANK; r++) {
                    float ur = u[r];
                    float[] vr = v[r];
                    for (int j = 0; j < cols; j++) {
                        values[at + j] += ur * vr[j];
                    }
                }
            }
        }
        long outliers = Math.round(values.length * OUTLIER_SHARE);
        for (long k = 0; k < outliers; k++) {
            values[random.nextInt(values.length)] += (float) (random.nextGaussian() * OUTLIER_STD);
        }
        double noise = t.shape().length == 1 ? SCALE_NOISE_STD : NOISE_STD;
        for (int i = 0; i < values.length; i++) {
            values[i] += (float) (random.nextGaussian() * noise);
        }
    }
}
