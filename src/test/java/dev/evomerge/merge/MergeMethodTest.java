package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.EvomergeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Each method against a naive double-precision implementation written here from the formulas. */
class MergeMethodTest {
    private static NDManager manager;
    private static final int ROWS = 6;
    private static final int COLS = 10;
    private static final int N = ROWS * COLS;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static float[] gaussian(long seed, double scale) {
        Random r = new Random(seed);
        float[] v = new float[N];
        for (int i = 0; i < N; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    /** Base 0 and three fine-tunes near it. */
    private static final float[] BASE = gaussian(1, 1.0);
    private static final float[][] MODELS = {plus(BASE, gaussian(2, 0.1)), plus(BASE, gaussian(3, 0.1)), plus(BASE, gaussian(4, 0.1))};

    private static float[] plus(float[] a, float[] b) {
        float[] c = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i] + b[i];
        }
        return c;
    }

    /** Runs {@code method} with input 0 the base (when {@code withBase}) and then the given models. */
    private static float[] run(MergeMethod method, boolean withBase, float[][] models, Map<String, Object> parameters,
                               List<Map<String, Object>> perModel, double depth, long seed) {
        try (NDManager work = manager.newSubManager()) {
            List<NDArray> arrays = new ArrayList<>();
            List<Map<String, Object>> params = new ArrayList<>();
            if (withBase) {
                arrays.add(work.create(BASE, new Shape(ROWS, COLS)));
                params.add(Map.of());
            }
            for (int i = 0; i < models.length; i++) {
                arrays.add(work.create(models[i], new Shape(ROWS, COLS)));
                params.add(perModel.get(i));
            }
            Map<String, Object> all = new HashMap<>();
            for (ParameterDef d : method.parameters()) {
                if (d.defaultValue() != null) {
                    all.put(d.name(), d.defaultValue());
                }
            }
            all.putAll(parameters);
            int base = withBase ? 0 : -1;
            MergeInput in = new MergeInput("model.layers.0.mlp.up_proj.weight", arrays.size(), base, all, params, depth, seed,
                    work, arrays::get, i -> arrays.get(i).sub(arrays.get(base)));
            return method.merge(in).toFloatArray();
        }
    }

    private static List<Map<String, Object>> weights(double... w) {
        return Arrays.stream(w).mapToObj(x -> Map.<String, Object>of("weight", x)).toList();
    }

    private static void assertClose(double[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * Math.max(1, Math.abs(expected[i])), "entry " + i);
        }
    }

    private static double[] tau(int model) {
        double[] t = new double[N];
        for (int i = 0; i < N; i++) {
            t[i] = (double) MODELS[model][i] - BASE[i];
        }
        return t;
    }

    @Test
    void linearIsTheNormalizedWeightedMean() {
        double[] w = {0.5, 1.5, 2.0};
        double[] expected = new double[N];
        for (int i = 0; i < N; i++) {
            double s = 0;
            for (int m = 0; m < 3; m++) {
                s += w[m] * MODELS[m][i];
            }
            expected[i] = s / 4.0;
        }
        assertClose(expected, run(new Linear(), false, MODELS, Map.of(), weights(w), 0, 0), 1e-6);
        double[] unnormalized = Arrays.stream(expected).map(x -> x * 4).toArray();
        assertClose(unnormalized, run(new Linear(), false, MODELS, Map.of("normalize", false), weights(w), 0, 0), 1e-6);
    }

    private static double[] naiveSlerp(double t, float[] a, float[] b) {
        double na = 0, nb = 0, dot = 0;
        for (int i = 0; i < a.length; i++) {
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
            dot += (double) a[i] * b[i];
        }
        double cos = dot / Math.sqrt(na) / Math.sqrt(nb);
        double[] out = new double[a.length];
        if (Math.abs(cos) > 0.9995) {
            for (int i = 0; i < a.length; i++) {
                out[i] = (1 - t) * a[i] + t * b[i];
            }
            return out;
        }
        double omega = Math.acos(cos);
        for (int i = 0; i < a.length; i++) {
            out[i] = Math.sin((1 - t) * omega) / Math.sin(omega) * a[i] + Math.sin(t * omega) / Math.sin(omega) * b[i];
        }
        return out;
    }

    @Test
    void slerpFollowsTheGreatCircleAndFallsBackToLerpWhenColinear() {
        float[] far = gaussian(9, 1.0); // nearly orthogonal to the base
        assertClose(naiveSlerp(0.3, BASE, far), run(new Slerp(), true, new float[][] {far}, Map.of("t", 0.3), List.of(Map.of()), 0, 0), 1e-5);
        // a fine-tune 0.1 away is colinear by the 0.9995 threshold? cos ≈ 0.995, so still spherical
        assertClose(naiveSlerp(0.7, BASE, MODELS[0]), run(new Slerp(), true, new float[][] {MODELS[0]}, Map.of("t", 0.7), List.of(Map.of()), 0, 0), 1e-5);
        float[] scaled = BASE.clone();
        for (int i = 0; i < N; i++) {
            scaled[i] *= 2;
        }
        double[] lerp = new double[N];
        for (int i = 0; i < N; i++) {
            lerp[i] = 0.75 * BASE[i] + 0.25 * scaled[i];
        }
        assertClose(lerp, run(new Slerp(), true, new float[][] {scaled}, Map.of("t", 0.25), List.of(Map.of()), 0, 0), 1e-6);
        assertThrows(EvomergeException.class, () -> run(new Slerp(), true, MODELS, Map.of("t", 0.5), weights(1, 1, 1), 0, 0));
    }

    @Test
    void nuslerpInterpolatesTaskVectorsWithTheWeightRatio() {
        double t = 3.0 / (1 + 3);
        float[] ta = new float[N];
        float[] tb = new float[N];
        for (int i = 0; i < N; i++) {
            ta[i] = MODELS[0][i] - BASE[i];
            tb[i] = MODELS[1][i] - BASE[i];
        }
        double[] s = naiveSlerp(t, ta, tb);
        double[] expected = new double[N];
        for (int i = 0; i < N; i++) {
            expected[i] = BASE[i] + s[i];
        }
        float[][] two = {MODELS[0], MODELS[1]};
        assertClose(expected, run(new NuSlerp(), true, two, Map.of(), weights(1, 3), 0, 0), 1e-5);
    }

    @Test
    void taskArithmeticAddsScaledTaskVectors() {
        double[] w = {0.3, 0.5, -0.2};
        double[] expected = new double[N];
        for (int m = 0; m < 3; m++) {
            double[] t = tau(m);
            for (int i = 0; i < N; i++) {
                expected[i] += 0.8 * w[m] * t[i];
            }
        }
        for (int i = 0; i < N; i++) {
            expected[i] += BASE[i];
        }
        assertClose(expected, run(TaskArithmetic.TASK_ARITHMETIC, true, MODELS, Map.of("lambda", 0.8), weights(w), 0, 0), 1e-5);
    }

    @Test
    void linesScalesTheMergedTaskVectorWithDepth() {
        double[] w = {1, 1, 1};
        for (double depth : new double[] {0, 0.5, 1}) {
            double scale = 0.2 + 0.6 * depth;
            double[] expected = new double[N];
            for (int m = 0; m < 3; m++) {
                double[] t = tau(m);
                for (int i = 0; i < N; i++) {
                    expected[i] += scale * t[i];
                }
            }
            for (int i = 0; i < N; i++) {
                expected[i] += BASE[i];
            }
            assertClose(expected, run(TaskArithmetic.TASK_ARITHMETIC, true, MODELS,
                    Map.of("lines_alpha", 0.2, "lines_beta", 0.6), weights(w), depth, 0), 1e-5);
        }
    }

    /** TIES as the paper states it: trim, elect, disjoint merge. */
    private static double[] naiveTies(double[] w, double density, boolean normalize) {
        double[][] trimmed = new double[3][];
        for (int m = 0; m < 3; m++) {
            double[] t = tau(m);
            Integer[] order = IntStream.range(0, N).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(i -> -Math.abs(t[i])));
            int k = (int) (density * N);
            trimmed[m] = new double[N];
            for (int r = 0; r < k; r++) {
                trimmed[m][order[r]] = t[order[r]];
            }
        }
        double[] out = new double[N];
        for (int i = 0; i < N; i++) {
            double mass = 0;
            for (int m = 0; m < 3; m++) {
                mass += w[m] * trimmed[m][i];
            }
            double sign = mass >= 0 ? 1 : -1;
            double sum = 0, weight = 0;
            for (int m = 0; m < 3; m++) {
                double v = w[m] * trimmed[m][i];
                if (Math.signum(v) == sign) {
                    sum += v;
                    weight += w[m];
                }
            }
            out[i] = BASE[i] + (normalize ? sum / (weight == 0 ? 1 : weight) : sum);
        }
        return out;
    }

    @Test
    void tiesTrimsElectsSignsAndTakesTheDisjointMean() {
        double[] w = {1.0, 0.5, 0.8};
        List<Map<String, Object>> params = Arrays.stream(w).mapToObj(x -> Map.<String, Object>of("weight", x, "density", 0.4)).toList();
        assertClose(naiveTies(w, 0.4, true), run(TaskArithmetic.TIES, true, MODELS, Map.of(), params, 0, 0), 1e-5);
        assertClose(naiveTies(w, 0.4, false), run(TaskArithmetic.TIES, true, MODELS, Map.of("normalize", false), params, 0, 0), 1e-5);
    }

    @Test
    void dareDropsWithTheSeededMaskAndRescalesToTheL1Norm() {
        double density = 0.5;
        long seed = 42;
        double[] expected = new double[N];
        for (int m = 0; m < 3; m++) {
            double[] t = tau(m);
            SplittableRandom random = new SplittableRandom(seed * 31 + (m + 1)); // input index m + 1 (0 is the base)
            double before = 0, after = 0;
            double[] kept = new double[N];
            for (int i = 0; i < N; i++) {
                float u = (float) random.nextDouble();
                kept[i] = u < density ? t[i] : 0;
                before += Math.abs(t[i]);
                after += Math.abs(kept[i]);
            }
            for (int i = 0; i < N; i++) {
                expected[i] += 0.5 * kept[i] * before / after;
            }
        }
        for (int i = 0; i < N; i++) {
            expected[i] += BASE[i];
        }
        List<Map<String, Object>> params = List.of(Map.of("weight", 0.5, "density", density), Map.of("weight", 0.5, "density", density),
                Map.of("weight", 0.5, "density", density));
        float[] got = run(TaskArithmetic.DARE_LINEAR, true, MODELS, Map.of(), params, 0, seed);
        assertClose(expected, got, 1e-4);
        assertArrayEquals(got, run(TaskArithmetic.DARE_LINEAR, true, MODELS, Map.of(), params, 0, seed), "same seed, same bits");
        float[] other = run(TaskArithmetic.DARE_LINEAR, true, MODELS, Map.of(), params, 0, seed + 1);
        assertEquals(false, Arrays.equals(got, other), "another seed drops other entries");
    }

    @Test
    void breadcrumbsDropsTheLargestAndTheSmallest() {
        double density = 0.5;
        double gamma = 0.1;
        double[] expected = new double[N];
        for (int m = 0; m < 3; m++) {
            double[] t = tau(m);
            Integer[] order = IntStream.range(0, N).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(i -> Math.abs(t[i]))); // ascending
            int top = (int) (gamma * N);
            int bottom = N - (int) (density * N) - top;
            for (int r = bottom; r < N - top; r++) {
                expected[order[r]] += t[order[r]];
            }
        }
        for (int i = 0; i < N; i++) {
            expected[i] += BASE[i];
        }
        List<Map<String, Object>> params = List.of(Map.of("weight", 1.0, "density", density, "gamma", gamma),
                Map.of("weight", 1.0, "density", density, "gamma", gamma), Map.of("weight", 1.0, "density", density, "gamma", gamma));
        assertClose(expected, run(TaskArithmetic.BREADCRUMBS, true, MODELS, Map.of(), params, 0, 0), 1e-5);
    }

    @Test
    void dellaKeepsLargerMagnitudesMoreOftenWithinEachRow() {
        double density = 0.5, epsilon = 0.3;
        long seed = 5;
        double[] expected = new double[N];
        for (int m = 0; m < 3; m++) {
            double[] t = tau(m);
            SplittableRandom random = new SplittableRandom(seed * 31 + (m + 1));
            float[] u = new float[N];
            for (int i = 0; i < N; i++) {
                u[i] = (float) random.nextDouble();
            }
            double before = 0, after = 0;
            double[] kept = new double[N];
            for (int r = 0; r < ROWS; r++) {
                final int row = r;
                Integer[] order = IntStream.range(0, COLS).boxed().toArray(Integer[]::new);
                Arrays.sort(order, Comparator.comparingDouble(c -> Math.abs(t[row * COLS + c])));
                for (int rank = 0; rank < COLS; rank++) {
                    int i = row * COLS + order[rank];
                    float p = (float) ((float) rank / (COLS - 1) * (2 * epsilon) + (density - epsilon));
                    kept[i] = u[i] < p ? t[i] : 0;
                }
            }
            for (int i = 0; i < N; i++) {
                before += Math.abs(t[i]);
                after += Math.abs(kept[i]);
            }
            for (int i = 0; i < N; i++) {
                expected[i] += kept[i] * before / after;
            }
        }
        for (int i = 0; i < N; i++) {
            expected[i] += BASE[i];
        }
        List<Map<String, Object>> params = List.of(Map.of("weight", 1.0, "density", density, "epsilon", epsilon),
                Map.of("weight", 1.0, "density", density, "epsilon", epsilon), Map.of("weight", 1.0, "density", density, "epsilon", epsilon));
        assertClose(expected, run(TaskArithmetic.DELLA_LINEAR, true, MODELS, Map.of(), params, 0, seed), 1e-4);
        assertThrows(EvomergeException.class, () -> run(TaskArithmetic.DELLA_LINEAR, true, MODELS, Map.of(),
                List.of(Map.of("weight", 1.0, "density", 0.9, "epsilon", 0.2), Map.of("weight", 1.0), Map.of("weight", 1.0)), 0, seed));
    }

    @Test
    void modelStockInterpolatesByTheAngleBetweenFineTunes() {
        double[][] d = {tau(0), tau(1), tau(2)};
        double cos = 0;
        int pairs = 0;
        for (int a = 0; a < 3; a++) {
            for (int b = a + 1; b < 3; b++) {
                double dot = 0, na = 0, nb = 0;
                for (int i = 0; i < N; i++) {
                    dot += d[a][i] * d[b][i];
                    na += d[a][i] * d[a][i];
                    nb += d[b][i] * d[b][i];
                }
                cos += dot / Math.sqrt(na * nb);
                pairs++;
            }
        }
        cos /= pairs;
        double t = 3 * cos / (1 + 2 * cos);
        double[] expected = new double[N];
        for (int i = 0; i < N; i++) {
            double avg = (MODELS[0][i] + MODELS[1][i] + MODELS[2][i]) / 3.0;
            expected[i] = t * avg + (1 - t) * BASE[i];
        }
        assertClose(expected, run(new ModelStock(), true, MODELS, Map.of(), List.of(Map.of(), Map.of(), Map.of()), 0, 0), 1e-5);
    }

    @Test
    void passthroughCopiesAndScales() {
        double[] expected = new double[N];
        for (int i = 0; i < N; i++) {
            expected[i] = 0.5 * MODELS[1][i];
        }
        assertClose(expected, run(new Passthrough(), false, new float[][] {MODELS[1]}, Map.of(), List.of(Map.of("scale", 0.5)), 0, 0), 1e-7);
    }

    /** The CPU kernel and the tensor-op form of every task-vector method agree to float rounding. */
    @Test
    void theFusedCpuKernelAgreesWithTheTensorForm() {
        List<Map<String, Object>> params = List.of(Map.of("weight", 0.7, "density", 0.5, "gamma", 0.1, "epsilon", 0.2),
                Map.of("weight", -0.3, "density", 0.4, "gamma", 0.05, "epsilon", 0.1), Map.of("weight", 0.9, "density", 0.6));
        for (TaskArithmetic method : List.of(TaskArithmetic.TASK_ARITHMETIC, TaskArithmetic.TIES, TaskArithmetic.DARE_LINEAR,
                TaskArithmetic.DARE_TIES, TaskArithmetic.BREADCRUMBS, TaskArithmetic.BREADCRUMBS_TIES, TaskArithmetic.DELLA,
                TaskArithmetic.DELLA_LINEAR)) {
            Map<String, Object> global = new HashMap<>(Map.of("lines_alpha", 0.5, "lines_beta", 0.8));
            for (ParameterDef d : method.parameters()) {
                if (d.defaultValue() != null) {
                    global.putIfAbsent(d.name(), d.defaultValue());
                }
            }
            float[] tensorForm = run(method, true, MODELS, global, params, 0.4, 17);
            List<Map<String, Object>> all = new ArrayList<>();
            all.add(Map.of());
            all.addAll(params);
            MergeInput in = new MergeInput("t", 4, 0, global, all, 0.4, 17, null, i -> null, i -> null);
            List<float[]> taskVectors = new ArrayList<>();
            for (float[] model : MODELS) {
                float[] tau = new float[N];
                for (int e = 0; e < N; e++) {
                    tau[e] = model[e] - BASE[e];
                }
                taskVectors.add(tau);
            }
            float[] kernel = TaskArithmeticKernel.merge(method, in, BASE, taskVectors, new long[] {ROWS, COLS});
            for (int e = 0; e < N; e++) {
                assertEquals(tensorForm[e], kernel[e], 1e-5 * Math.max(1, Math.abs(tensorForm[e])), method.name() + " entry " + e);
            }
        }
    }

    @Test
    void registryKnowsMergekitNamesAndSuggestsTheClosest() {
        assertEquals(List.of("linear", "slerp", "nuslerp", "model_stock", "passthrough", "task_arithmetic", "ties", "dare_linear",
                "dare_ties", "breadcrumbs", "breadcrumbs_ties", "della", "della_linear"), List.copyOf(MergeMethod.names()));
        EvomergeException e = assertThrows(EvomergeException.class, () -> MergeMethod.named("tie"));
        assertEquals("unknown merge_method 'tie' (did you mean 'ties'?)", e.getMessage());
    }
}
