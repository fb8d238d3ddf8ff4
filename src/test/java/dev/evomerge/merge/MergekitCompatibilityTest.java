package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.EvomergeException;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.model.TinyCheckpoints;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.HalfPrecision;
import dev.evomerge.tensor.TensorInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe mergekit accepts merges here as mergekit merges it (arcee-ai/mergekit at a6e40288:
 * {@code generalized_task_arithmetic.py}, {@code linear.py}, {@code sparsify.py}), and each departure the README
 * lists is pinned, on small tensors whose expected values are worked out in the comments. The task-vector methods
 * run both ways, as tensor operations (the GPU's form) and as the CPU kernel, and both must give those values.
 */
class MergekitCompatibilityTest {
    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** The method's defaults with {@code given} over them. */
    private static Map<String, Object> parameters(MergeMethod method, Map<String, Object> given) {
        Map<String, Object> all = new HashMap<>();
        for (ParameterDef d : method.parameters()) {
            if (d.defaultValue() != null) {
                all.put(d.name(), d.defaultValue());
            }
        }
        all.putAll(given);
        return all;
    }

    /**
     * Merges {@code base} and its task vectors {@code taus} (input 0 the base, input k + 1 task vector k) as tensor
     * operations and with the CPU kernel; checks that each gives {@code expected} (to 1e-6) and returns nothing else.
     */
    private static void assertMerges(float[] expected, TaskArithmetic method, float[] base, float[][] taus, long[] shape,
                                     Map<String, Object> given, List<Map<String, Object>> perModel, long seed) {
        Map<String, Object> global = parameters(method, given);
        List<Map<String, Object>> all = new ArrayList<>();
        all.add(Map.of());
        all.addAll(perModel);
        try (NDManager work = manager.newSubManager()) {
            List<NDArray> models = new ArrayList<>();
            models.add(work.create(base, new Shape(shape)));
            for (float[] tau : taus) {
                models.add(work.create(base, new Shape(shape)).add(work.create(tau, new Shape(shape))));
            }
            MergeInput in = new MergeInput("t", all.size(), 0, global, all, 0, seed, work, models::get,
                    i -> work.create(taus[i - 1], new Shape(shape)));
            assertClose(expected, method.merge(in).toFloatArray(), method.name() + " as tensor operations");
        }
        MergeInput in = new MergeInput("t", all.size(), 0, global, all, 0, seed, null, i -> null, i -> null);
        float[] kernel = TaskArithmeticKernel.merge(method, in, base, Arrays.asList(taus), shape);
        assertClose(expected, kernel, method.name() + " on the CPU kernel");
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6 * Math.max(1, Math.abs(expected[i])), what + ", entry " + i);
        }
    }

    private static MergeInput linearInput(float[][] models, double[] weights, NDManager work) {
        List<Map<String, Object>> perModel = Arrays.stream(weights).mapToObj(w -> Map.<String, Object>of("weight", w)).toList();
        return new MergeInput("t", models.length, -1, parameters(new Linear(), Map.of()), perModel, 0, 0, work,
                i -> work.create(models[i]), i -> {
                    throw new AssertionError("linear takes no task vectors");
                });
    }

    // --- weights that sum to zero under normalize: divided by 1, as mergekit does --------------------------------

    @Test
    void withoutConsensusWeightsSummingToZeroDivideByOne() {
        // task_arithmetic, normalize: true, weights 1 and −1: Σw = 0, so mergekit divides by 1: θ = base + τa − τb
        float[] base = {1, 2, 3, 4};
        float[][] taus = {{0.5f, -1, 0.25f, 0}, {0.25f, 1, -0.5f, 2}};
        List<Map<String, Object>> weights = List.of(Map.of("weight", 1.0), Map.of("weight", -1.0));
        assertMerges(new float[] {1.25f, 0, 3.75f, 2}, TaskArithmetic.TASK_ARITHMETIC, base, taus, new long[] {4},
                Map.of("normalize", true), weights, 0);
        // dare_linear at density 1 is the same sum (nothing dropped)
        assertMerges(new float[] {1.25f, 0, 3.75f, 2}, TaskArithmetic.DARE_LINEAR, base, taus, new long[] {4},
                Map.of("normalize", true), weights, 0);
    }

    @Test
    void withConsensusAnElementWhoseAgreeingWeightsCancelDividesByOne() {
        // ties, density 1, weights 2 and −2, base 0:
        //   wτa = [2, −4, 6, 1], wτb = [2, −4, −2, −0]; Σ = [4, −8, 4, 1]: majority [+, −, +, +]
        //   a agrees everywhere; b at 0 and 1 (at 2 its sign is −, at 3 it is 0, which never agrees)
        //   divisor Σ agreeing w = [2 − 2, 2 − 2, 2, 2] = [0 → 1, 0 → 1, 2, 2]; sum of agreeing wτ = [4, −8, 6, 1]
        float[] base = {0, 0, 0, 0};
        float[][] taus = {{1, -2, 3, 0.5f}, {-1, 2, 1, 0}};
        List<Map<String, Object>> weights = List.of(Map.of("weight", 2.0), Map.of("weight", -2.0));
        assertMerges(new float[] {4, -8, 3, 0.5f}, TaskArithmetic.TIES, base, taus, new long[] {4}, Map.of(), weights, 0);
    }

    @Test
    void linearWeightsSummingToZeroDivideByOneWhereMergekitWritesInfinities() {
        // departure: mergekit's linear divides by Σw = 0 (inf, and NaN where Σ wθ = 0); here by 1: θa − θb
        float[][] models = {{1, 2, 3}, {0.5f, 2, 4}};
        try (NDManager work = manager.newSubManager()) {
            MergeInput in = linearInput(models, new double[] {1, -1}, work);
            assertArrayEquals(new float[] {0.5f, 0, -1}, new Linear().merge(in).toFloatArray());
            assertTrue(new Linear().dividesByOne(in));
            assertFalse(new Linear().dividesByOne(linearInput(models, new double[] {1, -0.5}, work)));
        }
    }

    private MergeRecipe recipe(String yaml) throws IOException {
        Path file = dir.resolve("recipe.yaml");
        Files.writeString(file, yaml);
        return MergeRecipe.read(file);
    }

    /** What {@code action} printed to standard error (where the log goes). */
    private static String standardErrorOf(Runnable action) {
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static long count(String text, String part) {
        return text.lines().filter(line -> line.contains(part)).count();
    }

    @Test
    void aRecipeWhoseWeightsSumToZeroMergesOnDiskAndInMemoryWithOneWarning() throws IOException {
        TinyCheckpoints.baseAndTwo(dir);
        MergeRecipe recipe = recipe("""
                merge_method: task_arithmetic
                base_model: base
                parameters: {normalize: true}
                models:
                  - model: a
                    parameters: {weight: 1.0}
                  - model: b
                    parameters: {weight: -1.0}
                dtype: float32
                """);
        Path[] out = new Path[1];
        String diskLog = standardErrorOf(() -> out[0] = MergeEngine.merge(recipe, dir, dir.resolve("out"),
                MergeEngine.Options.defaults(), MergeEngine.Progress.NONE));
        assertEquals(1, count(diskLog, "weights sum to zero"), diskLog);
        assertTrue(diskLog.contains("task_arithmetic: the weights sum to zero with normalize on for 39 of 39 merged tensors "
                + "(model.embed_tokens.weight, model.layers.0.self_attn.q_proj.weight, model.layers.0.self_attn.k_proj.weight, and 36 more); "
                + "they are divided by 1 instead, as mergekit does"), diskLog);
        try (ModelCheckpoint merged = ModelCheckpoint.open(out[0]); ModelCheckpoint base = ModelCheckpoint.open(dir.resolve("base"));
             ModelCheckpoint a = ModelCheckpoint.open(dir.resolve("a")); ModelCheckpoint b = ModelCheckpoint.open(dir.resolve("b"))) {
            for (TensorInfo t : merged.weights().tensors()) {
                float[] x = base.weights().readFloats(t.name());
                float[] ya = a.weights().readFloats(t.name());
                float[] yb = b.weights().readFloats(t.name());
                float[] m = merged.weights().readFloats(t.name());
                for (int i = 0; i < m.length; i++) {
                    float expected = x[i] + ((ya[i] - x[i]) - (yb[i] - x[i])); // base + τa − τb, divided by 1
                    assertEquals(expected, m[i], 2 * Math.ulp(expected), t.name() + "[" + i + "]");
                }
            }
            String memoryLog = standardErrorOf(() -> {
                try (MergeSources sources = MergeSources.load(MergeEngine.open(recipe, dir), "base", Device.cpu());
                     NDManager scope = NDManager.newBaseManager()) {
                    for (int candidate = 0; candidate < 3; candidate++) {
                        MergeEngineTest.assertHoldsTheWrittenBytes(sources.materialize(recipe, scope), merged);
                    }
                }
            });
            assertEquals(1, count(memoryLog, "weights sum to zero"), "one warning for three candidates: " + memoryLog);
        }
    }

    // --- density: mergekit's bounds --------------------------------------------------------------------------------

    @Test
    void densityAboveOneKeepsTheWholeTaskVectorAsDensityOne() throws IOException {
        // mergekit's sparsifiers return the task vector untouched for density ≥ 1
        TinyCheckpoints.baseAndTwo(dir);
        String ties = """
                merge_method: ties
                base_model: base
                models:
                  - model: a
                    parameters: {weight: 0.6, density: %s}
                  - model: b
                    parameters: {weight: 0.4, density: 0.5}
                """;
        Path one = MergeEngine.merge(recipe(ties.formatted("1.0")), dir, dir.resolve("one"), MergeEngine.Options.defaults(),
                MergeEngine.Progress.NONE);
        Path more = MergeEngine.merge(recipe(ties.formatted("1.5")), dir, dir.resolve("more"), MergeEngine.Options.defaults(),
                MergeEngine.Progress.NONE);
        try (ModelCheckpoint x = ModelCheckpoint.open(one); ModelCheckpoint y = ModelCheckpoint.open(more)) {
            for (TensorInfo t : x.weights().tensors()) {
                assertArrayEquals(x.weights().readFloats(t.name()), y.weights().readFloats(t.name()), t.name());
            }
        }
    }

    @Test
    void densityZeroDropsTheTaskVectorAsMergekitDoes() throws IOException {
        // dare (bernoulli(0)), della (density ≤ 0 returns zeros, whatever epsilon) and breadcrumbs (an empty slice)
        // all drop the whole task vector: with weights 1 and 1 and normalize off, θ = base + τb
        float[] base = {1, 2, 3, 4, 5, 6};
        float[][] taus = {{0.5f, -1, 0.25f, 2, -3, 1}, {0.25f, 1, -0.5f, 2, 1, -1}};
        float[] expected = {1.25f, 3, 2.5f, 6, 6, 5};
        for (TaskArithmetic method : List.of(TaskArithmetic.DARE_LINEAR, TaskArithmetic.DELLA_LINEAR, TaskArithmetic.BREADCRUMBS)) {
            assertMerges(expected, method, base, taus, new long[] {2, 3}, Map.of("normalize", false),
                    List.of(Map.of("weight", 1.0, "density", 0.0), Map.of("weight", 1.0)), 7);
        }
        TinyCheckpoints.baseAndTwo(dir);
        MergeRecipe della = recipe("""
                merge_method: della
                base_model: base
                models:
                  - model: a
                    parameters: {weight: 1.0, density: 0.0}
                  - model: b
                    parameters: {weight: 1.0, density: 0.5}
                """);
        try (var opened = new Opened(della)) {
            assertEquals(39, MergePlan.of(della, opened.models).tasks().size(), "planned, not refused");
        }
    }

    /** The recipe's models, opened and closed. */
    private final class Opened implements AutoCloseable {
        final Map<String, ModelCheckpoint> models;

        Opened(MergeRecipe recipe) {
            models = MergeEngine.open(recipe, dir);
        }

        @Override
        public void close() {
            models.values().forEach(ModelCheckpoint::close);
        }
    }

    @Test
    void negativeDensityIsRefusedForEveryMethod() throws IOException {
        // departure: mergekit fails for ties and dare (an assertion, torch.bernoulli) but zeroes for della and breadcrumbs
        TinyCheckpoints.baseAndTwo(dir);
        for (String method : List.of("ties", "dare_ties", "della", "breadcrumbs")) {
            MergeRecipe recipe = recipe("""
                    merge_method: %s
                    base_model: base
                    models:
                      - model: a
                        parameters: {weight: 1.0, density: -0.5}
                    """.formatted(method));
            try (var opened = new Opened(recipe)) {
                EvomergeException e = assertThrows(EvomergeException.class, () -> MergePlan.of(recipe, opened.models));
                assertTrue(e.getMessage().startsWith("density -0.5 for tensor model.embed_tokens.weight is below 0"), e.getMessage());
            }
        }
    }

    // --- departures in sparsification --------------------------------------------------------------------------------

    @Test
    void breadcrumbsWithGammaTimesSizeBelowOneKeepsTheLargestWhereMergekitZeroesTheTensor() {
        // departure: 10 entries, gamma 0.01: n_top = ⌊0.1⌋ = 0 and mergekit's indices[n_bot:-0] is empty, so the
        // task vector is dropped entirely (a norm vector of a real model, gamma·numel < 1, merges as the base).
        // Here no outlier is dropped and the density 0.5 share of largest magnitudes stays: 0.9, 0.8, 0.7, 0.6, 0.5
        float[] base = new float[10];
        float[][] taus = {{0.1f, -0.9f, 0.3f, 0.5f, -0.2f, 0.8f, 0.05f, -0.4f, 0.6f, 0.7f}};
        float[] expected = {0, -0.9f, 0, 0.5f, 0, 0.8f, 0, 0, 0.6f, 0.7f};
        for (TaskArithmetic method : List.of(TaskArithmetic.BREADCRUMBS, TaskArithmetic.BREADCRUMBS_TIES)) {
            assertMerges(expected, method, base, taus, new long[] {10}, Map.of(),
                    List.of(Map.of("weight", 1.0, "density", 0.5, "gamma", 0.01)), 0);
            assertMerges(expected, method, base, taus, new long[] {10}, Map.of(),
                    List.of(Map.of("weight", 1.0, "density", 0.5, "gamma", 0.0)), 0);
        }
    }

    @Test
    void magnitudesTiedWithTheThresholdAreAllKept() {
        // departure: ties, density 0.25 of 8 entries: k = 2. The 2nd largest magnitude is 2, held by four entries;
        // mergekit keeps exactly 2 entries (3 and whichever 2 its sort puts first), here 3 and all four 2s
        float[] base = new float[8];
        float[][] taus = {{3, -2, 2, 2, 1, 0.5f, -2, 0.1f}};
        assertMerges(new float[] {3, -2, 2, 2, 0, 0, -2, 0}, TaskArithmetic.TIES, base, taus, new long[] {8}, Map.of(),
                List.of(Map.of("weight", 1.0, "density", 0.25)), 0);
        // breadcrumbs, 10 entries, gamma 0.1, density 0.5: drop 1 largest, keep 5. Two entries share the largest
        // magnitude 5: mergekit drops one of them, here the top threshold is 5, so both stay (6 kept, 4 smallest dropped)
        float[] base10 = new float[10];
        float[][] outliers = {{5, -5, 4, 3, -2.5f, 2, 1, 0.5f, 0.25f, 0.125f}};
        assertMerges(new float[] {5, -5, 4, 3, -2.5f, 2, 0, 0, 0, 0}, TaskArithmetic.BREADCRUMBS, base10, outliers, new long[] {10},
                Map.of(), List.of(Map.of("weight", 1.0, "density", 0.5, "gamma", 0.1)), 0);
    }

    @Test
    void tiesWithDensityTimesSizeBelowOneDropsTheTaskVectorWhereMergekitStops() {
        // departure: density 0.05 of 10 entries keeps ⌊0.5⌋ = 0, where mergekit's magnitude() fails an assertion
        // ("not gonna zero out the whole tensor") and so the whole merge. Here a's task vector is dropped for this
        // tensor: only b agrees where it is nonzero, divided by its own weight, so θ = base + τb
        float[] base = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        float[][] taus = {{9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, {0.5f, -0.5f, 0, 1, 0, 0, 0, 0, 0, 2}};
        assertMerges(new float[] {1.5f, 0.5f, 1, 2, 1, 1, 1, 1, 1, 3}, TaskArithmetic.TIES, base, taus, new long[] {10}, Map.of(),
                List.of(Map.of("weight", 0.7, "density", 0.05), Map.of("weight", 0.3)), 0);
        assertMerges(new float[] {1.5f, 0.5f, 1, 2, 1, 1, 1, 1, 1, 3}, TaskArithmetic.TIES, base, taus, new long[] {10}, Map.of(),
                List.of(Map.of("weight", 0.7, "density", 0.0), Map.of("weight", 0.3)), 0);
    }

    @Test
    void dellaRanksMagnitudesAlongTheLastAxisOfAThreeAxisTensor() {
        // departure: mergekit ranks along axis 1 (of 3 here), evomerge along the last (of 4), as for 2-D tensors:
        // keep probability (density − ε) + 2ε · rank / (columns − 1), drawn from the seeded uniforms, then L1 rescale
        long[] shape = {2, 3, 4};
        int n = 24, columns = 4;
        double density = 0.5, epsilon = 0.4;
        long seed = 3;
        float[] base = new float[n];
        float[] tau = new float[n];
        for (int i = 0; i < n; i++) {
            tau[i] = (float) ((i * 7 % 24) - 11.25) / 8; // distinct magnitudes (no ties to break), mixed signs
        }
        SplittableRandom random = new SplittableRandom(seed * 31 + 1); // input 1 (0 is the base)
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            u[i] = (float) random.nextDouble();
        }
        double[] kept = new double[n];
        double before = 0, after = 0;
        for (int row = 0; row < n / columns; row++) {
            int offset = row * columns;
            Integer[] order = IntStream.range(0, columns).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(c -> Math.abs(tau[offset + c])));
            for (int rank = 0; rank < columns; rank++) {
                int i = offset + order[rank];
                float p = (float) ((float) rank / (columns - 1) * (2 * epsilon) + (density - epsilon));
                kept[i] = u[i] < p ? tau[i] : 0;
            }
        }
        for (int i = 0; i < n; i++) {
            before += Math.abs(tau[i]);
            after += Math.abs(kept[i]);
        }
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = (float) (kept[i] * before / after);
        }
        assertMerges(expected, TaskArithmetic.DELLA_LINEAR, base, new float[][] {tau}, shape, Map.of(),
                List.of(Map.of("weight", 1.0, "density", density, "epsilon", epsilon)), seed);
    }

    // --- arithmetic ----------------------------------------------------------------------------------------------------

    @Test
    void halfPrecisionModelsAreMergedInF32AndRoundedOnceWhereMergekitComputesInBf16() throws IOException {
        // departure: θ = bf16(base + 0.3f · (a − base)), all in f32; mergekit computes in the models' dtype: the
        // weight rounded to bf16 (0.30078125) and every step rounded to bf16
        TinyCheckpoints.baseAndTwo(dir);
        Path out = MergeEngine.merge(recipe("""
                merge_method: task_arithmetic
                base_model: base
                models:
                  - model: a
                    parameters: {weight: 0.3}
                """), dir, dir.resolve("out"), MergeEngine.Options.defaults(), MergeEngine.Progress.NONE);
        int differs = 0;
        try (ModelCheckpoint merged = ModelCheckpoint.open(out); ModelCheckpoint base = ModelCheckpoint.open(dir.resolve("base"));
             ModelCheckpoint a = ModelCheckpoint.open(dir.resolve("a"))) {
            for (TensorInfo t : merged.weights().tensors()) {
                assertEquals(DType.BF16, t.dtype(), t.name());
                float[] x = base.weights().readFloats(t.name());
                float[] y = a.weights().readFloats(t.name());
                float[] m = merged.weights().readFloats(t.name());
                for (int i = 0; i < m.length; i++) {
                    float expected = bf16(x[i] + (y[i] - x[i]) * 0.3f);
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(m[i]), t.name() + "[" + i + "]");
                    float inBf16 = bf16(x[i] + bf16(bf16(y[i] - x[i]) * bf16(0.3f)));
                    differs += inBf16 == m[i] ? 0 : 1;
                }
            }
        }
        assertNotEquals(0, differs, "computing in bf16 rounds some entries differently");
    }

    private static float bf16(float value) {
        return HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(value));
    }
}
