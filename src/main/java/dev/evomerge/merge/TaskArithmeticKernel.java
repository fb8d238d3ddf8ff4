package dev.evomerge.merge;

import dev.evomerge.EvomergeException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The task-vector family ({@link TaskArithmetic}) computed on the CPU in Java, one fused pass per element
 * over all task vectors, instead of DJL's ~50 separate tensor passes: on a CPU those passes, each streaming
 * whole tensors through memory, cost many times the reading of the models. Both merge paths use this
 * kernel when they run on a CPU (so a search candidate and its exported merge stay bit-identical); on a GPU
 * the tensor-op form in {@link TaskArithmetic#merge} runs instead. The same thresholds (linear-time
 * selection), the same random drops (Java's generator, seeded per tensor and input) and the same formulas:
 * the two forms agree to float rounding, which a test checks.
 */
final class TaskArithmeticKernel {
    /** Elements per parallel chunk. */
    private static final int CHUNK = 1 << 15;

    private TaskArithmeticKernel() {
    }

    /**
     * The merged tensor from the base and the task vectors of {@code in}'s other inputs (in {@code in.others()}
     * order), with the parameters and seed of {@code in}.
     */
    static float[] merge(TaskArithmetic method, MergeInput in, float[] base, List<float[]> taskVectors, long[] shape) {
        List<Integer> others = in.others();
        int models = others.size();
        int n = base.length;
        if (models == 0) {
            return base.clone();
        }
        double[] weights = new double[models];
        Keep[] keep = new Keep[models];
        float[] rescale = new float[models];
        for (int k = 0; k < models; k++) {
            int i = others.get(k);
            weights[k] = in.number(i, "weight", 0);
            float[] tau = taskVectors.get(k);
            keep[k] = mask(method.sparsification(), tau, in.number(i, "density", 1.0), in.number(i, "gamma", 0.01),
                    in.number(i, "epsilon", 0.15), in.seed() * 31 + i, shape);
            rescale[k] = 1f;
            if (keep[k] != null && in.flag("rescale")) {
                double before = 0;
                double after = 0;
                for (int e = 0; e < n; e++) {
                    double a = Math.abs(tau[e]);
                    before += a;
                    after += keep[k].at(e, tau[e]) ? a : 0;
                }
                if (before >= 1e-7 && after >= 1e-7) {
                    rescale[k] = (float) (before / after);
                }
            }
        }
        boolean normalize = in.flag("normalize");
        double weightSum = Arrays.stream(weights).sum();
        double scale = in.number("lambda");
        if (in.parameters().get("lines_alpha") != null) {
            scale *= in.number("lines_alpha") + in.number("lines_beta") * in.depth();
        }
        float[] out = new float[n];
        final float lineScale = (float) scale;
        final float divisorAll = (float) (Math.abs(weightSum) < 1e-8 ? 1 : weightSum);
        float[] w = new float[models];
        for (int k = 0; k < models; k++) {
            w[k] = (float) weights[k];
        }
        // chunk by chunk (in cache), each step a plain loop over the chunk the JIT can vectorize
        IntStream.range(0, (n + CHUNK - 1) / CHUNK).parallel().forEach(c -> {
            int from = c * CHUNK;
            int len = Math.min(n, from + CHUNK) - from;
            float[][] buffers = scratch(models + 3);
            float[][] weighted = java.util.Arrays.copyOf(buffers, models);
            float[] total = buffers[models];
            float[] sum = buffers[models + 1];
            float[] divisor = buffers[models + 2];
            Arrays.fill(total, 0, len, 0f);
            for (int k = 0; k < models; k++) {
                float[] tau = taskVectors.get(k);
                float[] wk = weighted[k];
                Keep kk = keep[k];
                float factor = rescale[k] * w[k];
                if (kk == null) {
                    for (int e = 0; e < len; e++) {
                        wk[e] = tau[from + e] * factor;
                    }
                } else if (kk.mask() == null) {
                    // branch-free: kept entries are a coin toss, so a branch would mispredict half the time;
                    // magnitudes compare as the ints of their bits
                    int lowBits = Float.floatToRawIntBits(kk.low());
                    int highBits = Float.floatToRawIntBits(kk.high());
                    for (int e = 0; e < len; e++) {
                        float t = tau[from + e];
                        int bits = Float.floatToRawIntBits(t) & 0x7FFFFFFF;
                        int kept = ~((bits - lowBits) >> 31) & ~((highBits - bits) >> 31);
                        wk[e] = Float.intBitsToFloat(Float.floatToRawIntBits(t * factor) & kept);
                    }
                } else {
                    int[] mask = kk.mask();
                    for (int e = 0; e < len; e++) {
                        wk[e] = Float.intBitsToFloat(Float.floatToRawIntBits(tau[from + e] * factor) & mask[from + e]);
                    }
                }
                for (int e = 0; e < len; e++) {
                    total[e] += wk[e];
                }
            }
            if (method.consensus()) {
                // majority sign by summed mass; an entry of sign 0 never agrees
                Arrays.fill(sum, 0, len, 0f);
                Arrays.fill(divisor, 0, len, 0f);
                for (int k = 0; k < models; k++) {
                    float[] wk = weighted[k];
                    int weightBits = Float.floatToRawIntBits(w[k]);
                    for (int e = 0; e < len; e++) {
                        float v = wk[e];
                        // agrees when v has the majority's sign and is not zero: v · majority > 0, as int bits.
                        // copySign reads −0 as negative where "total ≥ 0" would not, but a total of −0 has no
                        // nonzero term to disagree about
                        int p = Float.floatToRawIntBits(v * Math.copySign(1f, total[e]));
                        int agrees = ~((p - 1) >> 31) & ~(p >> 31);
                        sum[e] += Float.intBitsToFloat(Float.floatToRawIntBits(v) & agrees);
                        divisor[e] += Float.intBitsToFloat(weightBits & agrees);
                    }
                }
                for (int e = 0; e < len; e++) {
                    float mixed = normalize ? sum[e] / (divisor[e] == 0 ? 1f : divisor[e]) : sum[e];
                    out[from + e] = base[from + e] + mixed * lineScale;
                }
            } else {
                for (int e = 0; e < len; e++) {
                    float mixed = normalize ? total[e] / divisorAll : total[e];
                    out[from + e] = base[from + e] + mixed * lineScale;
                }
            }
        });
        return out;
    }

    /** Per-thread chunk buffers: fresh arrays would cost a zeroing pass as large as the work. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[0][]);

    private static float[][] scratch(int count) {
        float[][] buffers = SCRATCH.get();
        if (buffers.length < count) {
            buffers = new float[count][CHUNK];
            SCRATCH.set(buffers);
        }
        return buffers;
    }

    /**
     * Which entries of a task vector survive: by magnitude thresholds (no per-entry storage: the main pass
     * compares), or by a drawn mask.
     */
    private record Keep(int[] mask, float low, float high) {
        boolean at(int e, float tau) {
            if (mask != null) {
                return mask[e] != 0;
            }
            float a = Math.abs(tau);
            return a >= low && a <= high;
        }
    }

    /** Which entries survive the sparsification, or null for all of them. */
    private static Keep mask(Sparsification how, float[] tau, double density, double gamma, double epsilon, long seed, long[] shape) {
        if (how == null || density >= 1) {
            return null;
        }
        int n = tau.length;
        int[] keep = new int[n]; // all ones where kept, for branch-free masking
        switch (how) {
            case MAGNITUDE, MAGNITUDE_OUTLIERS -> {
                long target = (long) (density * n);
                long top = how == Sparsification.MAGNITUDE ? 0 : (long) (gamma * n);
                long bottom = n - target - top;
                if (bottom < 0) {
                    top += bottom;
                    bottom = 0;
                }
                long kept = how == Sparsification.MAGNITUDE ? target : n - top - bottom;
                if (kept <= 0) {
                    return new Keep(keep, 0, 0);
                }
                float low = MagnitudeSelect.kthSmallestMagnitude(tau, (int) (n - top - kept));
                float high = top > 0 ? MagnitudeSelect.kthSmallestMagnitude(tau, (int) (n - 1 - top)) : Float.POSITIVE_INFINITY;
                return new Keep(null, low, high);
            }
            case RANDOM -> {
                SplittableRandom random = new SplittableRandom(seed);
                for (int e = 0; e < n; e++) {
                    keep[e] = (float) random.nextDouble() < density ? -1 : 0;
                }
            }
            case DELLA_MAGPRUNE -> {
                if (density + epsilon >= 1 || density - epsilon <= 0) {
                    throw new EvomergeException("della: epsilon " + epsilon + " must keep density ± epsilon inside (0, 1); density is " + density);
                }
                int columns = shape.length < 2 ? n : (int) shape[shape.length - 1];
                SplittableRandom random = new SplittableRandom(seed);
                float[] u = new float[n];
                for (int e = 0; e < n; e++) {
                    u[e] = (float) random.nextDouble();
                }
                long[] keys = new long[columns];
                for (int row = 0; row < n / columns; row++) {
                    int offset = row * columns;
                    for (int j = 0; j < columns; j++) {
                        // magnitude bits then index: sorting the keys ranks by magnitude, ties by position
                        keys[j] = (long) Float.floatToRawIntBits(Math.abs(tau[offset + j])) << 32 | j;
                    }
                    Arrays.sort(keys);
                    for (int rank = 0; rank < columns; rank++) {
                        int j = (int) (keys[rank] & 0xFFFFFFFFL);
                        float rankNorm = columns > 1 ? (float) rank / (columns - 1) : 0f;
                        float probability = rankNorm * (float) (2 * epsilon) + (float) (density - epsilon);
                        keep[offset + j] = u[offset + j] < probability ? -1 : 0;
                    }
                }
            }
            default -> throw new IllegalStateException(how.toString());
        }
        return new Keep(keep, 0, 0);
    }
}
