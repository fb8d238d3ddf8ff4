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
                        MergeEngineTest.assertSameAsDisk(merged, sources.materialize(recipe, scope));
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
}
