package dev.evomerge.merge;

import ai.djl.Device;
import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.StoredTensor;
import dev.evomerge.tensor.TensorOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The task-vector family ({@link TaskArithmetic}) computed on the CPU in Java, streamed: each tensor is
 * read, merged and written a chunk of {@value #CHUNK} elements at a time, every input of a chunk decoded
 * and the result encoded while the chunk is in the cache, so no whole tensor is ever converted and no
 * task vector is ever stored. TIES-style thresholds take one radix counting pass first, two where the first
 * does not settle them ({@link MagnitudeSelect}).
 * Both merge paths use this kernel on a CPU, on the same inputs (the models as stored), each chunk written
 * rounded to the output's dtype: a search candidate holds the bytes of its exported merge, which
 * MergeEngineTest compares. On a GPU the tensor-op form in {@link TaskArithmetic#merge} runs instead, with
 * the same thresholds, the same random drops (Java's generator, seeded per tensor and input) and the same
 * formulas: the two forms agree to float rounding (to 1e-5 relative in TaskArithmeticKernelTest).
 *
 * <p>Why the loops look as they do: the merge of a chunk is one loop over whole vectors of the Vector API,
 * every input's contribution, the elected sign and the result computed in registers, keep/drop/agree as
 * lane masks. C2 vectorizes no plain-loop form of a conditional select, so the plain loops this replaced ran
 * a lane at a time.
 */
final class TaskArithmeticKernel {
    /** Elements per chunk: a chunk's buffers together stay in the L1/L2 cache. */
    private static final int CHUNK = 1024;
    /** The widest float vectors of this CPU; {@link #CHUNK} is a whole number of them. */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

    private TaskArithmeticKernel() {
    }

    /** Whether this kernel merges {@code task} on {@code device}: the task-vector family, with a base, on a CPU. */
    static boolean merges(MergeMethod method, MergePlan.TensorTask task, Device device) {
        return method instanceof TaskArithmetic && task.baseIndex() >= 0 && device.getDeviceType().equals(Device.Type.CPU);
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

    /**
     * Merges {@code inputs} with the parameters and seed of {@code in} into {@code out}, chunk by chunk: each chunk
     * is written (and so rounded to the output's dtype) while it is in the cache.
     */
    static void merge(TaskArithmetic method, MergeInput in, Inputs inputs, long[] shape, TensorOutput out) {
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
        Keep[] keep = new Keep[models];
        long[][] ranks = new long[models][];
        sparsify(method.sparsification(), in, inputs, shape, keep, ranks);
        MagnitudeSelect.Bucket[][] located = locate(inputs, ranks);
        float[][] thresholds = exactThresholds(inputs, located);
        for (int k = 0; k < models; k++) {
            if (thresholds[k] != null) {
                keep[k] = Keep.between(thresholds[k]);
            }
        }
        float[] factor = rescale(in.flag("rescale"), keep, inputs);
        for (int k = 0; k < models; k++) {
            factor[k] *= w[k];
        }
        double scale = in.number("lambda");
        if (in.parameters().get("lines_alpha") != null) {
            scale *= in.number("lines_alpha") + in.number("lines_beta") * in.depth();
        }
        Merging merging = new Merging(method.consensus(), in.flag("normalize"), (float) scale,
                (float) MergeInput.divisor(TaskArithmetic.weightSum(in)), w, factor, keep);
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
        /** Merges elements from…from+len (the base's already in {@code b.base}) into {@code b.out}. */
        void chunk(Inputs inputs, long from, int len, Buffers b) {
            int models = w.length;
            for (int k = 0; k < models; k++) {
                inputs.readTaskVector(k, from, b.base, b.tau[k], len);
                keep[k].weigh(b.tau[k], from, len, factor[k]);
            }
            // whole vectors over the chunk: lanes past len compute on stale values and are never written out
            FloatVector zero = FloatVector.zero(FLOATS);
            for (int i = 0; i < len; i += FLOATS.length()) {
                FloatVector total = zero;
                for (int k = 0; k < models; k++) {
                    total = total.add(FloatVector.fromArray(FLOATS, b.tau[k], i));
                }
                FloatVector merged;
                if (!consensus) {
                    merged = normalize ? total.div(divisorAll) : total;
                } else {
                    // the majority sign by summed mass (+ where total ≥ 0, −0 included); entries of that sign agree
                    VectorMask<Float> negative = total.compare(VectorOperators.LT, 0f);
                    FloatVector sum = zero;
                    FloatVector divisor = zero;
                    for (int k = 0; k < models; k++) {
                        FloatVector v = FloatVector.fromArray(FLOATS, b.tau[k], i);
                        VectorMask<Float> agrees = v.compare(VectorOperators.LT, 0f).eq(negative).and(v.compare(VectorOperators.NE, 0f));
                        sum = sum.add(v, agrees);
                        divisor = divisor.add(w[k], agrees);
                    }
                    // a divisor of exactly 0 (nothing agreed, or the agreeing weights cancel) divides by 1 instead, as mergekit does
                    merged = normalize ? sum.div(divisor.blend(1f, divisor.compare(VectorOperators.EQ, 0f))) : sum;
                }
                FloatVector.fromArray(FLOATS, b.base, i).add(merged.mul(scale)).intoArray(b.out, i);
            }
        }
    }

    /**
     * Which entries of a task vector survive: all of them, those whose magnitude lies in [low, high], or those
     * a drawn 0/1 mask keeps.
     */
    private record Keep(float low, float high, float[] mask) {
        static final Keep ALL = new Keep(0, Float.POSITIVE_INFINITY, null);

        /** Magnitudes from thresholds[0] up, or (with two) from thresholds[0] to thresholds[1]. */
        static Keep between(float[] thresholds) {
            return new Keep(thresholds[0], thresholds.length > 1 ? thresholds[1] : Float.POSITIVE_INFINITY, null);
        }

        /**
         * τ[0…len) (elements from…) scaled by {@code factor}, dropped entries zeroed, in place; whole vectors,
         * so up to a vector past len (the chunk buffers are whole vectors long).
         */
        void weigh(float[] tau, long from, int len, float factor) {
            if (mask != null) {
                int offset = (int) from;
                int i = 0;
                for (int bound = FLOATS.loopBound(len); i < bound; i += FLOATS.length()) {
                    FloatVector.fromArray(FLOATS, tau, i).mul(factor).mul(FloatVector.fromArray(FLOATS, mask, offset + i)).intoArray(tau, i);
                }
                for (; i < len; i++) {
                    tau[i] = tau[i] * factor * mask[offset + i];
                }
                return;
            }
            for (int i = 0; i < len; i += FLOATS.length()) {
                FloatVector t = FloatVector.fromArray(FLOATS, tau, i);
                if (this == ALL) {
                    t.mul(factor).intoArray(tau, i);
                } else {
                    FloatVector magnitude = t.abs();
                    VectorMask<Float> kept = magnitude.compare(VectorOperators.GE, low).and(magnitude.compare(VectorOperators.LE, high));
                    t.mul(factor).blend(0f, kept.not()).intoArray(tau, i);
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

    /**
     * Each other input's drop rule under {@code how}: a mask drawn into {@code keep[k]}, or magnitude ranks to
     * find into {@code ranks[k]} (two for breadcrumbs), or neither (keep all).
     */
    private static void sparsify(Sparsification how, MergeInput in, Inputs inputs, long[] shape, Keep[] keep, long[][] ranks) {
        List<Integer> others = in.others();
        Arrays.fill(keep, Keep.ALL);
        if (how == null) {
            return;
        }
        long n = inputs.count();
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
    }

    /**
     * The first counting pass: for each input with ranks (null for the others), where each rank falls among
     * its task vector's magnitudes' top-16-bit buckets. All such inputs together; no pass if there are none.
     */
    private static MagnitudeSelect.Bucket[][] locate(Inputs inputs, long[][] ranks) {
        int models = ranks.length;
        MagnitudeSelect.Bucket[][] located = new MagnitudeSelect.Bucket[models][];
        int[] wanted = IntStream.range(0, models).filter(k -> ranks[k] != null).toArray();
        if (wanted.length == 0) {
            return located;
        }
        int[][] high = overChunks(inputs.count(), models, () -> new int[wanted.length][MagnitudeSelect.COUNTERS], (counts, from, len, b) -> {
            inputs.base().read(from, b.base, len);
            for (int j = 0; j < wanted.length; j++) {
                inputs.readTaskVector(wanted[j], from, b.base, b.tau[0], len);
                MagnitudeSelect.countHigh(b.tau[0], 0, len, counts[j]);
            }
        }, TaskArithmeticKernel::add);
        for (int j = 0; j < wanted.length; j++) {
            int[] counts = high[j];
            located[wanted[j]] = Arrays.stream(ranks[wanted[j]]).mapToObj(r -> MagnitudeSelect.locate(counts, r)).toArray(MagnitudeSelect.Bucket[]::new);
        }
        return located;
    }

    /**
     * The exact magnitude of each located rank (per input, null where none): its bucket's smallest value where
     * the first pass settled it, else from a second counting pass (one for all the others; none if none).
     */
    private static float[][] exactThresholds(Inputs inputs, MagnitudeSelect.Bucket[][] located) {
        int models = located.length;
        float[][] values = new float[models][];
        List<int[]> unsettled = new ArrayList<>(); // {input, rank}
        for (int k = 0; k < models; k++) {
            if (located[k] != null) {
                values[k] = new float[located[k].length];
                for (int r = 0; r < located[k].length; r++) {
                    if (located[k][r].settled()) {
                        values[k][r] = located[k][r].smallest();
                    } else {
                        unsettled.add(new int[] {k, r});
                    }
                }
            }
        }
        if (unsettled.isEmpty()) {
            return values;
        }
        int[][] low = overChunks(inputs.count(), models, () -> new int[unsettled.size()][MagnitudeSelect.LOW_VALUES], (counts, from, len, b) -> {
            inputs.base().read(from, b.base, len);
            int read = -1;
            for (int slot = 0; slot < unsettled.size(); slot++) {
                int k = unsettled.get(slot)[0];
                if (k != read) {
                    inputs.readTaskVector(k, from, b.base, b.tau[0], len);
                    read = k;
                }
                MagnitudeSelect.countLow(b.tau[0], 0, len, located[k][unsettled.get(slot)[1]].bucket(), counts[slot]);
            }
        }, TaskArithmeticKernel::add);
        for (int slot = 0; slot < unsettled.size(); slot++) {
            int k = unsettled.get(slot)[0];
            int r = unsettled.get(slot)[1];
            values[k][r] = MagnitudeSelect.value(located[k][r], low[slot]);
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
        if (density <= 0) {
            return new float[Math.toIntExact(inputs.count())]; // all dropped, whatever epsilon, as mergekit does
        }
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
