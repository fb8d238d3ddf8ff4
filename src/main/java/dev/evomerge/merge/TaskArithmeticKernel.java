package dev.evomerge.merge;

import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.StoredTensor;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * The task-vector family ({@link TaskArithmetic}) computed on the CPU in Java, streamed: each tensor is
 * read, merged and written a chunk of {@value #CHUNK} elements at a time, every input of a chunk decoded
 * and the result encoded while the chunk is in the cache, so no whole tensor is ever converted and no
 * task vector is ever stored. TIES-style thresholds take two radix counting passes first ({@link MagnitudeSelect}).
 * Both merge paths use this kernel on a CPU (a search candidate and its exported merge are bit-identical);
 * on a GPU the tensor-op form in {@link TaskArithmetic#merge} runs instead, with the same thresholds, the
 * same random drops (Java's generator, seeded per tensor and input) and the same formulas: the two forms
 * agree to float rounding, which a test checks.
 *
 * <p>Why the loops look as they do: C2 vectorizes plain float arithmetic, {@code abs}, {@code min},
 * {@code max} and {@code signum}, but not a conditional select nor a float/int reinterpretation. So keep,
 * drop and agree are 0/1 factors made by {@link #step} (exact, branch-free), and each loop is a plain loop
 * over one chunk.
 */
final class TaskArithmeticKernel {
    /** Elements per chunk: a chunk's buffers together stay in the L1/L2 cache. */
    private static final int CHUNK = 1024;
    /** x · HUGE · HUGE is ≥ 1 for every float x > 0 (the smallest, 2⁻¹⁴⁹, becomes 2⁵¹). */
    private static final float HUGE = 0x1p100f;

    private TaskArithmeticKernel() {
    }

    /**
     * One tensor's inputs: the base, and the others either as models (θ, the base subtracted as read) or as
     * task vectors already (τ, as the search keeps them).
     */
    record Inputs(StoredTensor base, List<StoredTensor> others, boolean othersAreModels) {
        long count() {
            return base.count();
        }

        /** τ_k for elements from…from+len into {@code into}, given the base's values of those elements. */
        void readTaskVector(int k, long from, float[] base, float[] into, int len) {
            others.get(k).read(from, into, len);
            if (othersAreModels) {
                for (int e = 0; e < len; e++) {
                    into[e] -= base[e];
                }
            }
        }
    }

    /** The merged tensor from the base and task vectors in memory (in {@code in.others()} order). */
    static float[] merge(TaskArithmetic method, MergeInput in, float[] base, List<float[]> taskVectors, long[] shape) {
        float[] out = new float[base.length];
        merge(method, in, new Inputs(StoredTensor.of(base), taskVectors.stream().map(StoredTensor::of).toList(), false),
                shape, StoredTensor.of(out));
        return out;
    }

    /** Merges {@code inputs} with the parameters and seed of {@code in} into {@code out}, chunk by chunk. */
    static void merge(TaskArithmetic method, MergeInput in, Inputs inputs, long[] shape, StoredTensor out) {
        List<Integer> others = in.others();
        int models = others.size();
        long n = inputs.count();
        if (out.count() != n || inputs.others().size() != models) {
            throw new IllegalArgumentException(in.tensorName() + ": " + out.count() + " outputs, " + n + " inputs");
        }
        float[] w = new float[models];
        for (int k = 0; k < models; k++) {
            w[k] = (float) in.number(others.get(k), "weight", 0);
        }
        Keep[] keep = keep(method.sparsification(), in, inputs, shape);
        float[] factor = rescale(in.flag("rescale"), keep, inputs);
        for (int k = 0; k < models; k++) {
            factor[k] *= w[k];
        }
        double weightSum = 0;
        for (float v : w) {
            weightSum += v;
        }
        double scale = in.number("lambda");
        if (in.parameters().get("lines_alpha") != null) {
            scale *= in.number("lines_alpha") + in.number("lines_beta") * in.depth();
        }
        Merging merging = new Merging(method.consensus(), in.flag("normalize"), (float) scale,
                (float) (Math.abs(weightSum) < 1e-8 ? 1 : weightSum), w, factor, keep);
        overChunks(n, models, () -> Boolean.TRUE, (none, from, len, b) -> {
            inputs.base().read(from, b.base, len);
            merging.chunk(inputs, from, len, b);
            out.write(from, b.out, len);
        }, (x, y) -> {
        });
    }

    /** The merge of one chunk, given each input's weight, factor (rescale × weight) and keep rule. */
    private record Merging(boolean consensus, boolean normalize, float scale, float divisorAll, float[] w, float[] factor,
                           Keep[] keep) {
        void chunk(Inputs inputs, long from, int len, Buffers b) {
            float[] total = b.total;
            Arrays.fill(total, 0, len, 0f);
            for (int k = 0; k < w.length; k++) {
                float[] v = b.tau[k];
                inputs.readTaskVector(k, from, b.base, v, len);
                keep[k].weigh(v, from, len, factor[k]);
                for (int e = 0; e < len; e++) {
                    total[e] += v[e];
                }
            }
            float[] base = b.base;
            float[] out = b.out;
            if (!consensus) {
                float divisor = normalize ? divisorAll : 1f;
                for (int e = 0; e < len; e++) {
                    out[e] = base[e] + total[e] / divisor * scale;
                }
                return;
            }
            // majority sign by summed mass (+1 where total ≥ 0, −0 included); an entry agrees when its sign
            // is the majority's: signum(v)·majority = 1 (0 for a zero entry, −1 against)
            float[] majority = total;
            for (int e = 0; e < len; e++) {
                majority[e] = 1f - 2f * step(-total[e]);
            }
            float[] sum = b.sum;
            float[] divisor = b.divisor;
            Arrays.fill(sum, 0, len, 0f);
            Arrays.fill(divisor, 0, len, 0f);
            for (int k = 0; k < w.length; k++) {
                float[] v = b.tau[k];
                float wk = w[k];
                for (int e = 0; e < len; e++) {
                    float agrees = Math.max(0f, Math.signum(v[e]) * majority[e]);
                    sum[e] += v[e] * agrees;
                    divisor[e] += wk * agrees;
                }
            }
            if (normalize) {
                for (int e = 0; e < len; e++) {
                    // a divisor of 0 (nothing agreed) divides by 1 instead
                    float d = divisor[e] + (1f - Math.min(1f, Math.abs(divisor[e]) * HUGE * HUGE));
                    out[e] = base[e] + sum[e] / d * scale;
                }
            } else {
                for (int e = 0; e < len; e++) {
                    out[e] = base[e] + sum[e] * scale;
                }
            }
        }
    }

    /** 1 for x > 0, 0 for x ≤ 0 (−0 included), exactly, without a branch. */
    private static float step(float x) {
        return Math.min(1f, Math.max(0f, x * HUGE * HUGE));
    }

    /**
     * Which entries of a task vector survive: all of them, those whose magnitude lies in [low, high], or those
     * a drawn 0/1 mask keeps.
     */
    private record Keep(float low, float high, float[] mask) {
        static final Keep ALL = new Keep(0, Float.POSITIVE_INFINITY, null);

        /** τ[0…len) (elements from…) scaled by {@code factor}, dropped entries zeroed, in place. */
        void weigh(float[] tau, long from, int len, float factor) {
            if (mask != null) {
                int offset = (int) from;
                for (int e = 0; e < len; e++) {
                    tau[e] = tau[e] * factor * mask[offset + e];
                }
            } else if (this == ALL) {
                for (int e = 0; e < len; e++) {
                    tau[e] *= factor;
                }
            } else if (high == Float.POSITIVE_INFINITY) {
                float below = Math.nextDown(low); // |τ| ≥ low ⇔ |τ| − below > 0
                for (int e = 0; e < len; e++) {
                    tau[e] = tau[e] * factor * step(Math.abs(tau[e]) - below);
                }
            } else {
                float below = Math.nextDown(low);
                float above = Math.nextUp(high);
                for (int e = 0; e < len; e++) {
                    float a = Math.abs(tau[e]);
                    tau[e] = tau[e] * factor * step(a - below) * step(above - a);
                }
            }
        }

        boolean at(long e, float tau) {
            if (mask != null) {
                return mask[(int) e] != 0;
            }
            float a = Math.abs(tau);
            return a >= low && a <= high;
        }
    }

    /** Each other input's keep rule under {@code how}. */
    private static Keep[] keep(Sparsification how, MergeInput in, Inputs inputs, long[] shape) {
        List<Integer> others = in.others();
        Keep[] keep = new Keep[others.size()];
        Arrays.fill(keep, Keep.ALL);
        if (how == null) {
            return keep;
        }
        long n = inputs.count();
        // magnitude thresholds: ranks per input (two for breadcrumbs), found together in two passes
        long[][] ranks = new long[others.size()][];
        for (int k = 0; k < others.size(); k++) {
            int i = others.get(k);
            double density = in.number(i, "density", 1.0);
            if (density >= 1) {
                continue;
            }
            long seed = in.seed() * 31 + i;
            switch (how) {
                case MAGNITUDE, MAGNITUDE_OUTLIERS -> {
                    long target = (long) (density * n);
                    long top = how == Sparsification.MAGNITUDE ? 0 : (long) (in.number(i, "gamma", 0.01) * n);
                    long bottom = n - target - top;
                    if (bottom < 0) {
                        top += bottom;
                        bottom = 0;
                    }
                    long kept = how == Sparsification.MAGNITUDE ? target : n - top - bottom;
                    if (kept <= 0) {
                        keep[k] = new Keep(0, 0, new float[Math.toIntExact(n)]);
                    } else {
                        ranks[k] = top > 0 ? new long[] {n - top - kept, n - 1 - top} : new long[] {n - top - kept};
                    }
                }
                case RANDOM -> keep[k] = new Keep(0, 0, randomMask(n, density, seed));
                case DELLA_MAGPRUNE -> keep[k] = new Keep(0, 0, dellaMask(inputs, k, density, in.number(i, "epsilon", 0.15), seed, shape));
                default -> throw new IllegalStateException(how.toString());
            }
        }
        float[][] thresholds = thresholds(inputs, ranks);
        for (int k = 0; k < others.size(); k++) {
            if (ranks[k] != null) {
                float[] t = thresholds[k];
                keep[k] = new Keep(t[0], t.length > 1 ? t[1] : Float.POSITIVE_INFINITY, null);
            }
        }
        return keep;
    }

    /**
     * For each input with ranks (null for the others), the magnitudes of those ranks among its task vector's
     * entries: two radix counting passes over every entry, all such inputs together.
     */
    private static float[][] thresholds(Inputs inputs, long[][] ranks) {
        int models = ranks.length;
        float[][] values = new float[models][];
        int[] wanted = IntStream.range(0, models).filter(k -> ranks[k] != null).toArray();
        if (wanted.length == 0) {
            return values;
        }
        long n = inputs.count();
        int[][] high = overChunks(n, models, () -> new int[wanted.length][MagnitudeSelect.BUCKETS], (counts, from, len, b) -> {
            inputs.base().read(from, b.base, len);
            for (int j = 0; j < wanted.length; j++) {
                inputs.readTaskVector(wanted[j], from, b.base, b.tau[0], len);
                MagnitudeSelect.countHigh(b.tau[0], 0, len, counts[j]);
            }
        }, TaskArithmeticKernel::add);
        MagnitudeSelect.Bucket[][] located = new MagnitudeSelect.Bucket[wanted.length][];
        for (int j = 0; j < wanted.length; j++) {
            int[] counts = high[j];
            located[j] = Arrays.stream(ranks[wanted[j]]).mapToObj(r -> MagnitudeSelect.locate(counts, r)).toArray(MagnitudeSelect.Bucket[]::new);
        }
        int[][] low = overChunks(n, models, () -> new int[2 * wanted.length][MagnitudeSelect.BUCKETS], (counts, from, len, b) -> {
            inputs.base().read(from, b.base, len);
            for (int j = 0; j < wanted.length; j++) {
                inputs.readTaskVector(wanted[j], from, b.base, b.tau[0], len);
                for (int r = 0; r < located[j].length; r++) {
                    MagnitudeSelect.countLow(b.tau[0], 0, len, located[j][r].bucket(), counts[2 * j + r]);
                }
            }
        }, TaskArithmeticKernel::add);
        for (int j = 0; j < wanted.length; j++) {
            values[wanted[j]] = new float[located[j].length];
            for (int r = 0; r < located[j].length; r++) {
                values[wanted[j]][r] = MagnitudeSelect.value(located[j][r], low[2 * j + r]);
            }
        }
        return values;
    }

    private static void add(int[][] a, int[][] b) {
        for (int j = 0; j < a.length; j++) {
            for (int i = 0; i < a[j].length; i++) {
                a[j][i] += b[j][i];
            }
        }
    }

    /** DARE's drop: each entry kept with probability density, drawn in element order from the seed. */
    private static float[] randomMask(long n, double density, long seed) {
        float[] mask = new float[Math.toIntExact(n)];
        SplittableRandom random = new SplittableRandom(seed);
        for (int e = 0; e < mask.length; e++) {
            mask[e] = (float) random.nextDouble() < density ? 1f : 0f;
        }
        return mask;
    }

    /**
     * DELLA's MAGPRUNE drop: within each row, keep probabilities rise linearly with the magnitude's rank from
     * density − ε to density + ε.
     */
    private static float[] dellaMask(Inputs inputs, int k, double density, double epsilon, long seed, long[] shape) {
        if (density + epsilon >= 1 || density - epsilon <= 0) {
            throw new EvomergeException("della: epsilon " + epsilon + " must keep density ± epsilon inside (0, 1); density is " + density);
        }
        int n = Math.toIntExact(inputs.count());
        float[] tau = new float[n];
        float[] base = new float[CHUNK];
        float[] chunk = new float[CHUNK];
        for (int from = 0; from < n; from += CHUNK) {
            int len = Math.min(CHUNK, n - from);
            inputs.base().read(from, base, len);
            inputs.readTaskVector(k, from, base, chunk, len);
            System.arraycopy(chunk, 0, tau, from, len);
        }
        int columns = shape.length < 2 ? n : (int) shape[shape.length - 1];
        SplittableRandom random = new SplittableRandom(seed);
        float[] u = new float[n];
        for (int e = 0; e < n; e++) {
            u[e] = (float) random.nextDouble();
        }
        float[] mask = new float[n];
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
                mask[offset + j] = u[offset + j] < probability ? 1f : 0f;
            }
        }
        return mask;
    }

    /**
     * Each input's rescale factor: Σ|τ| / Σ|kept τ| when {@code rescale} is on and entries are dropped (DARE's
     * 1/density in expectation, exact here), else 1.
     */
    private static float[] rescale(boolean rescale, Keep[] keep, Inputs inputs) {
        int models = keep.length;
        float[] factor = new float[models];
        Arrays.fill(factor, 1f);
        if (!rescale || Arrays.stream(keep).allMatch(k -> k == Keep.ALL)) {
            return factor;
        }
        double[] sums = overChunks(inputs.count(), models, () -> new double[2 * models], (acc, from, len, b) -> {
            inputs.base().read(from, b.base, len);
            for (int k = 0; k < models; k++) {
                if (keep[k] == Keep.ALL) {
                    continue;
                }
                inputs.readTaskVector(k, from, b.base, b.tau[0], len);
                for (int e = 0; e < len; e++) {
                    float t = b.tau[0][e];
                    acc[2 * k] += Math.abs(t);
                    acc[2 * k + 1] += keep[k].at(from + e, t) ? Math.abs(t) : 0;
                }
            }
        }, (a, b) -> {
            for (int i = 0; i < a.length; i++) {
                a[i] += b[i];
            }
        });
        for (int k = 0; k < models; k++) {
            double before = sums[2 * k];
            double after = sums[2 * k + 1];
            if (keep[k] != Keep.ALL && before >= 1e-7 && after >= 1e-7) {
                factor[k] = (float) (before / after);
            }
        }
        return factor;
    }

    /** One thread's chunk buffers. */
    private static final class Buffers {
        final float[] base = new float[CHUNK];
        final float[][] tau;
        final float[] total = new float[CHUNK];
        final float[] sum = new float[CHUNK];
        final float[] divisor = new float[CHUNK];
        final float[] out = new float[CHUNK];

        Buffers(int models) {
            tau = new float[Math.max(1, models)][CHUNK];
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(() -> new Buffers(1));

    private static Buffers buffers(int models) {
        Buffers b = BUFFERS.get();
        if (b.tau.length < models) {
            b = new Buffers(models);
            BUFFERS.set(b);
        }
        return b;
    }

    /** What one pass does to a chunk: elements from…from+len, accumulating into {@code acc}. */
    private interface ChunkWork<A> {
        void accept(A acc, long from, int len, Buffers buffers);
    }

    /**
     * One pass over all chunks, in two parallel tasks of consecutive chunks per thread. Accumulators are made
     * per task, not per chunk (a histogram pass holds 256 KB per input), and combined into the first.
     */
    private static <A> A overChunks(long n, int models, Supplier<A> fresh, ChunkWork<A> work, BiConsumer<A, A> combine) {
        long chunks = (n + CHUNK - 1) / CHUNK;
        int tasks = (int) Math.min(chunks, 2L * parallelism());
        IntStream range = IntStream.range(0, tasks);
        return (tasks > 1 ? range.parallel() : range).collect(fresh, (acc, t) -> {
            Buffers b = buffers(models);
            long end = Math.min(n, (chunks * (t + 1) / tasks) * CHUNK);
            for (long from = (chunks * t / tasks) * CHUNK; from < end; from += CHUNK) {
                work.accept(acc, from, (int) Math.min(CHUNK, end - from), b);
            }
        }, combine);
    }

    /** The threads a parallel stream started here runs on: the current pool's, or the common pool's and the caller. */
    private static int parallelism() {
        ForkJoinPool pool = ForkJoinTask.getPool();
        return pool != null ? pool.getParallelism() : ForkJoinPool.getCommonPoolParallelism() + 1;
    }
}
