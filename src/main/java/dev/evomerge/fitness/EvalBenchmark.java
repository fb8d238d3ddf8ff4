package dev.evomerge.fitness;

import ai.djl.ndarray.NDManager;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.LayerProgram;
import dev.evomerge.model.CheckpointWriter;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.TensorInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code bench eval}: batched next-token log-likelihoods of a ~25M-parameter Llama (hidden 512, 6 layers,
 * GQA 8/4 heads, vocabulary 8,000) on CPU, in evomerge's forward pass and in eager PyTorch
 * ({@code fitness/reference/bench_eval.py}, the golden script's forward) on the same weights and tokens.
 */
public final class EvalBenchmark {
    private EvalBenchmark() {
    }

    public record Result(long parameters, int batch, int tokens, double javaTokensPerSecond, Double torchTokensPerSecond, String torchNote) {
    }

    static final String CONFIG = """
            {"model_type": "llama", "hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 6,
             "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 8000, "rms_norm_eps": 1e-6,
             "rope_theta": 10000.0, "tie_word_embeddings": false}
            """;

    public static Result measure(Path dir, int batch, int tokens, int repeats) throws IOException {
        Path checkpoint = writeModel(dir.resolve("llama-25m"));
        SplittableRandom random = new SplittableRandom(2);
        List<int[]> sequences = new ArrayList<>();
        long[] flat = new long[batch * tokens];
        for (int b = 0; b < batch; b++) {
            int[] s = new int[tokens];
            for (int t = 0; t < tokens; t++) {
                s[t] = random.nextInt(8000);
                flat[b * tokens + t] = s[t];
            }
            sequences.add(s);
        }
        Path ids = dir.resolve("ids.safetensors");
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, List.of(TensorInfo.of("input_ids", DType.I64, batch, tokens)), Long.MAX_VALUE, Map.of())) {
            w.writeRaw("input_ids", java.lang.foreign.MemorySegment.ofArray(flat));
            w.commit();
        }
        java.nio.file.Files.move(dir.resolve("model.safetensors"), ids);
        long parameters;
        double javaRate;
        try (ModelCheckpoint model = ModelCheckpoint.open(checkpoint); NDManager m = NDManager.newBaseManager()) {
            parameters = model.weights().tensors().stream().mapToLong(TensorInfo::numel).sum();
            Candidate candidate = Candidate.load(model, m);
            LlamaModel llama = new LlamaModel(LlamaConfig.of(model.config()));
            LayerProgram program = LayerProgram.identity(0, 6);
            try (NDManager warm = m.newSubManager()) {
                llama.tokenLogProbabilities(List.of(candidate.tensors()), program, sequences, warm);
            }
            long t0 = System.nanoTime();
            for (int r = 0; r < repeats; r++) {
                try (NDManager scope = m.newSubManager()) {
                    llama.tokenLogProbabilities(List.of(candidate.tensors()), program, sequences, scope);
                }
            }
            javaRate = (double) batch * tokens * repeats / ((System.nanoTime() - t0) / 1e9);
        }
        Double torch = null;
        String note = "";
        Path script = Path.of(System.getProperty("evomerge.home", ".")).resolve("fitness/reference/bench_eval.py");
        try {
            ProcessBuilder builder = new ProcessBuilder("/usr/bin/python3", script.toString(), checkpoint.toString(), ids.toString(),
                    String.valueOf(repeats)).redirectErrorStream(true);
            // these machines pin OpenBLAS to an old kernel for numpy's sake; a benchmark unsets both together
            builder.environment().remove("OPENBLAS_CORETYPE");
            builder.environment().remove("OPENBLAS_L2_SIZE");
            Process p = builder.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() == 0 && out.contains("tokens_per_second")) {
                torch = Double.parseDouble(out.substring(out.lastIndexOf("tokens_per_second") + 17).trim());
                note = out.lines().filter(l -> l.startsWith("torch ")).findFirst().orElse("");
            } else {
                note = "eager PyTorch skipped: " + (out.contains("No module named 'torch'") ? "python3-torch is not installed (apt-get install python3-torch)"
                        : out.lines().reduce((a, b) -> b).orElse("the script failed"));
            }
        } catch (IOException e) {
            note = "eager PyTorch skipped: no /usr/bin/python3";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Result(parameters, batch, tokens, javaRate, torch, note);
    }

    /** The benchmark's Llama ({@link #CONFIG}), Gaussian weights of standard deviation 0.02 and unit norms, in {@code dir}. */
    static Path writeModel(Path dir) {
        LlamaConfig c = LlamaConfig.of(ModelCheckpointConfig.parse(CONFIG));
        List<TensorInfo> plan = new ArrayList<>();
        int kv = c.kvHeads() * c.headDim();
        plan.add(TensorInfo.of("model.embed_tokens.weight", DType.F32, c.vocab(), c.hidden()));
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".";
            plan.add(TensorInfo.of(p + "self_attn.q_proj.weight", DType.F32, c.hidden(), c.hidden()));
            plan.add(TensorInfo.of(p + "self_attn.k_proj.weight", DType.F32, kv, c.hidden()));
            plan.add(TensorInfo.of(p + "self_attn.v_proj.weight", DType.F32, kv, c.hidden()));
            plan.add(TensorInfo.of(p + "self_attn.o_proj.weight", DType.F32, c.hidden(), c.hidden()));
            plan.add(TensorInfo.of(p + "mlp.gate_proj.weight", DType.F32, c.intermediate(), c.hidden()));
            plan.add(TensorInfo.of(p + "mlp.up_proj.weight", DType.F32, c.intermediate(), c.hidden()));
            plan.add(TensorInfo.of(p + "mlp.down_proj.weight", DType.F32, c.hidden(), c.intermediate()));
            plan.add(TensorInfo.of(p + "input_layernorm.weight", DType.F32, c.hidden()));
            plan.add(TensorInfo.of(p + "post_attention_layernorm.weight", DType.F32, c.hidden()));
        }
        plan.add(TensorInfo.of("model.norm.weight", DType.F32, c.hidden()));
        plan.add(TensorInfo.of("lm_head.weight", DType.F32, c.vocab(), c.hidden()));
        try (CheckpointWriter writer = CheckpointWriter.create(dir, true)) {
            try (SafetensorsWriter w = writer.weights(plan, Long.MAX_VALUE, Map.of("format", "pt"))) {
                SplittableRandom random = new SplittableRandom(1);
                for (TensorInfo t : plan) {
                    float[] v = new float[(int) t.numel()];
                    boolean norm = t.name().endsWith("norm.weight");
                    for (int i = 0; i < v.length; i++) {
                        v[i] = norm ? 1f : (float) (random.nextGaussian() * 0.02);
                    }
                    w.write(t.name(), v);
                }
                w.commit();
            }
            writer.writeFile("config.json", CONFIG);
            return writer.commit();
        }
    }

    public static void report(Result r, PrintWriter out) {
        out.printf("bench eval: next-token log-likelihoods, Llama of %.1fM parameters, batch %d × %d tokens, CPU%n",
                r.parameters / 1e6, r.batch, r.tokens);
        out.printf("  evomerge (DJL, PyTorch 2.5.1 engine)  %9.0f tokens/s%n", r.javaTokensPerSecond);
        if (r.torchTokensPerSecond != null) {
            out.printf("  eager PyTorch (Debian's python3-torch) %8.0f tokens/s   [%s]%n", r.torchTokensPerSecond, r.torchNote);
            out.printf("  ratio                                  %8.2f   (goal ≥ 0.90)%n", r.javaTokensPerSecond / r.torchTokensPerSecond);
        } else {
            out.println("  " + r.torchNote);
        }
    }

    /** config.json text to a tree, for the benchmark's fixed configuration. */
    private static final class ModelCheckpointConfig {
        static com.fasterxml.jackson.databind.JsonNode parse(String json) {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
