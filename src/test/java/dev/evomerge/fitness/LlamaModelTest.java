package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.LayerProgram;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The forward pass against golden logits from an independent PyTorch implementation
 * (fitness/reference/golden_llama.py): GQA and plain multi-head attention, tied and untied heads, Qwen2's
 * q/k/v biases, a right-padded batch.
 */
class LlamaModelTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @ParameterizedTest
    @ValueSource(strings = {"llama-untied-gqa", "llama-tied-mha", "qwen2-gqa-bias"})
    void logitsMatchPyTorchWithinOneInTenThousand(String name) {
        try (ModelCheckpoint model = ModelCheckpoint.open(GOLDEN.resolve(name));
             SafetensorsCheckpoint golden = SafetensorsCheckpoint.open(GOLDEN.resolve(name).resolve("golden.safetensors"));
             NDManager m = NDManager.newBaseManager()) {
            Candidate weights = Candidate.load(model, m);
            NDArray ids = m.create(golden.raw("input_ids").asByteBuffer(), new Shape(golden.info("input_ids").shape()), ai.djl.ndarray.types.DataType.INT64);
            NDArray mask = m.create(golden.raw("attention_mask").asByteBuffer(), new Shape(golden.info("attention_mask").shape()), ai.djl.ndarray.types.DataType.INT64);
            float[] expected = golden.readFloats("logits");
            LlamaModel llama = new LlamaModel(LlamaConfig.of(model.config()));
            float[] actual = llama.logits(weights.tensors(), ids, mask).toFloatArray();
            assertEquals(expected.length, actual.length);
            long[] maskValues = mask.toLongArray();
            int vocab = llama.config().vocab();
            double scale = 0;
            for (float e : expected) {
                scale = Math.max(scale, Math.abs(e));
            }
            for (int i = 0; i < expected.length; i++) {
                if (maskValues[i / vocab] == 0) {
                    continue; // logits at padding positions mean nothing
                }
                assertEquals(expected[i], actual[i], 1e-4 * Math.max(Math.abs(expected[i]), scale * 1e-2), name + " logit " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-untied-gqa"})
    void aLayerProgramOfTheModelsOwnLayersIsTheModelAndOtherProgramsDiffer(String name) {
        try (ModelCheckpoint model = ModelCheckpoint.open(GOLDEN.resolve(name)); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = Candidate.load(model, m).tensors();
            LlamaModel llama = new LlamaModel(LlamaConfig.of(model.config()));
            NDArray ids = m.create(new long[] {3, 1, 4, 1, 5, 9}).reshape(1, 6);
            NDArray mask = m.ones(new Shape(1, 6), ai.djl.ndarray.types.DataType.INT64);
            float[] plain = llama.logits(w, ids, mask).toFloatArray();
            float[] identity = llama.logits(List.of(w, w), LayerProgram.identity(0, 3), ids, mask).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(plain, identity);
            List<LayerProgram.Step> steps = new ArrayList<>(LayerProgram.identity(1, 3).steps());
            steps.add(1, new LayerProgram.Step(0, 1, 0.5));
            float[] routed = llama.logits(List.of(w, w), new LayerProgram(steps), ids, mask).toFloatArray();
            assertTrue(!java.util.Arrays.equals(plain, routed), "a repeated, scaled layer changes the output");
            // a forward pass in its own scope leaves nothing on the weights' manager
            int before = ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
            try (NDManager scope = m.newSubManager()) {
                NDArray scopedIds = scope.create(new long[] {3, 1, 4, 1, 5, 9}).reshape(1, 6);
                llama.tokenLogProbabilities(List.of(w), LayerProgram.identity(0, 3), List.of(new int[] {3, 1, 4, 1, 5, 9}), scope);
                llama.logits(w, scopedIds, scope.ones(new Shape(1, 6), ai.djl.ndarray.types.DataType.INT64));
            }
            assertEquals(before, ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size());
        }
    }

    @org.junit.jupiter.api.Test
    void anExportedLayerProgramHasTheProgramsLogitsWithNoCustomCode(@org.junit.jupiter.api.io.TempDir Path dir) {
        try (ModelCheckpoint a = ModelCheckpoint.open(GOLDEN.resolve("llama-untied-gqa"));
             ModelCheckpoint b = ModelCheckpoint.open(GOLDEN.resolve("llama-untied-gqa"));
             NDManager m = NDManager.newBaseManager()) {
            // model 1: model 0 with every layer's MLP output doubled, so routing between them matters
            Map<String, NDArray> wa = Candidate.load(a, m).tensors();
            Map<String, NDArray> wb = new java.util.HashMap<>(Candidate.load(b, m).tensors());
            for (int l = 0; l < 3; l++) {
                String down = "model.layers." + l + ".mlp.down_proj.weight";
                wb.put(down, wb.get(down).mul(2));
            }
            Path bDir = dir.resolve("b");
            try (var writer = dev.evomerge.model.CheckpointWriter.create(bDir)) {
                try (var w = writer.weights(b.weights().tensors(), Long.MAX_VALUE, Map.of())) {
                    for (var t : b.weights().tensors()) {
                        w.write(t.name(), wb.get(t.name()).toFloatArray());
                    }
                    w.commit();
                }
                writer.copyFile(GOLDEN.resolve("llama-untied-gqa/config.json"));
                writer.commit();
            }
            LayerProgram program = new LayerProgram(List.of(new LayerProgram.Step(0, 0, 1.0), new LayerProgram.Step(1, 1, 1.7),
                    new LayerProgram.Step(0, 1, 0.6), new LayerProgram.Step(1, 2, 1.3), new LayerProgram.Step(0, 2, 0.9)));
            LlamaModel llama = new LlamaModel(LlamaConfig.of(a.config()));
            NDArray ids = m.create(new long[] {3, 1, 4, 1, 5, 9, 2, 6}).reshape(1, 8);
            NDArray mask = m.ones(new Shape(1, 8), ai.djl.ndarray.types.DataType.INT64);
            try (ModelCheckpoint bReloaded = ModelCheckpoint.open(bDir)) {
                float[] routed = llama.logits(List.of(wa, Candidate.load(bReloaded, m).tensors()), program, ids, mask).toFloatArray();
                Path exported = LayerProgramExport.write(List.of(a, bReloaded), program, dir.resolve("exported"), false);
                try (ModelCheckpoint e = ModelCheckpoint.open(exported)) {
                    assertEquals(5, e.config().get("num_hidden_layers").asInt());
                    LlamaModel plain = new LlamaModel(LlamaConfig.of(e.config()));
                    float[] logits = plain.logits(Candidate.load(e, m).tensors(), ids, mask).toFloatArray();
                    for (int i = 0; i < routed.length; i++) {
                        // the program's logits to 1e-4 relative, not exactly: RMSNorm's ε and the rounding of the folded weights
                        assertEquals(routed[i], logits[i], 1e-4 * Math.max(1, Math.abs(routed[i])), "logit " + i + ", to 1e-4 relative");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-untied-gqa", "qwen2-gqa-bias", "llama-tied-mha"})
    void greedyDecodingWithTheCacheEqualsRecomputingEveryStepTokenForTokenAndLogitsWithinSixteenFloatEpsilons(String name) {
        try (ModelCheckpoint model = ModelCheckpoint.open(GOLDEN.resolve(name)); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = Candidate.load(model, m).tensors();
            LlamaModel llama = new LlamaModel(LlamaConfig.of(model.config()));
            int layers = llama.config().layers();
            // a program that repeats a layer and scales, so the cache is per step, not per layer
            List<LayerProgram.Step> steps = new ArrayList<>(LayerProgram.identity(0, layers).steps());
            steps.add(1, new LayerProgram.Step(0, 0, 0.8));
            LayerProgram program = new LayerProgram(steps);
            int[] prompt = {5, 17, 2, 40};
            int n = 24;
            int[] cached = llama.generate(List.of(w), program, prompt, n, t -> false, m);
            List<Integer> tokens = new ArrayList<>();
            for (int p : prompt) {
                tokens.add(p);
            }
            int[] recomputed = new int[n];
            double worst = 0;
            try (KeyValueCache cache = KeyValueCache.open(program.length(), prompt.length + n, m)) {
                int past = 0;
                for (int i = 0; i < n; i++) {
                    try (NDManager scope = m.newSubManager()) {
                        long[] ids = tokens.stream().mapToLong(Integer::longValue).toArray();
                        NDArray last = llama.logits(List.of(w), program, scope.create(ids).reshape(1, ids.length),
                                scope.ones(new Shape(1, ids.length), ai.djl.ndarray.types.DataType.INT64))
                                .get(new ai.djl.ndarray.index.NDIndex("0, -1, :"));
                        float[] full = last.toFloatArray();
                        long[] fresh = java.util.Arrays.copyOfRange(ids, past, ids.length);
                        float[] step = llama.nextLogits(List.of(w), program, scope.create(fresh).reshape(1, fresh.length), past, cache).toFloatArray();
                        past = ids.length;
                        float scale = 0;
                        for (float f : full) {
                            scale = Math.max(scale, Math.abs(f));
                        }
                        for (int v = 0; v < full.length; v++) {
                            worst = Math.max(worst, Math.abs(full[v] - step[v]) / scale / Math.ulp(1f));
                            // a pass over all tokens and one over the new token sum in different orders: a few float ulps apart
                            assertEquals(full[v], step[v], 16 * Math.ulp(1f) * scale, name + " token " + i + " logit " + v);
                        }
                        recomputed[i] = (int) last.argMax().getLong();
                        tokens.add(recomputed[i]);
                    }
                }
            }
            System.out.printf("%s: cached and recomputed logits differ by at most %.2g float epsilons of the largest logit%n", name, worst);
            org.junit.jupiter.api.Assertions.assertArrayEquals(recomputed, cached);
            int[] told = {0};
            assertEquals(3, llama.generate(List.of(w), program, prompt, 8, t -> ++told[0] == 3, m).length, "stops when told");
        }
    }

    /**
     * Measured by the allocator, not by counting arrays: malloc's bytes in use (mallinfo2) less the JVM's own
     * mallocs, after a collection, in a fresh JVM that tracks them (see NativeHeap); the median of ten readings
     * about token 20 and about token 200.
     */
    @org.junit.jupiter.api.Test
    void nativeMemoryStaysFlatOverTwoHundredGeneratedTokens(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path tokenizer = TestTokenizers.wordLevel(dir, 97);
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:NativeMemoryTracking=summary", "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                GenerationMemoryProbe.class.getName(), GOLDEN.resolve("llama-untied-gqa").toString(), tokenizer.toString(), "200")
                .redirectErrorStream(true);
        builder.environment().put("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0");
        Process child = builder.start();
        List<String> lines = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, child.waitFor(), String.join("\n", lines));
        long[] early = lines.stream().filter(l -> l.matches("(1[1-9]|20) \\d+")).mapToLong(l -> Long.parseLong(l.split(" ")[1])).sorted().toArray();
        long[] late = lines.stream().filter(l -> l.matches("(19[1-9]|200) \\d+")).mapToLong(l -> Long.parseLong(l.split(" ")[1])).sorted().toArray();
        assertEquals(10, early.length, String.join("\n", lines));
        assertEquals(10, late.length, String.join("\n", lines));
        long growth = late[5] - early[5];
        System.out.printf("native memory outside the JVM about token 20: %d B, about token 200: %d B, growth %d B%n", early[5], late[5], growth);
        // main's cache, concatenated anew at every token with every pass's arrays kept until the answer ended, grew by 63 MiB (66,451,256 B) here
        assertTrue(growth < 64 * 1024, "malloc's bytes in use outside the JVM grew by " + growth + " B from token 20 to token 200 (bound 64 KiB)");
    }
}
