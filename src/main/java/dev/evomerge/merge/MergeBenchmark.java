package dev.evomerge.merge;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.HalfPrecision;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.TensorInfo;
import dev.evomerge.tensor.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * {@code bench merge}: a TIES merge of a base and three fine-tunes (Llama layout, bf16) end to end, beside
 * the I/O floor measured in the same run: reading every input once and writing (and fsyncing) one output
 * of a model's size. Both read the inputs from disk (evicted from the page cache first), alternately,
 * best of three. Then the time to materialize one candidate in memory from resident sources, and the next
 * one (as a search goes on); and what rounding a candidate to the dtype it is written in costs: per element
 * on one thread (in cache, a chunk at a time, as the kernel rounds), and for the candidate's elements on the
 * threads the merge uses, as a share of the next candidate's merge time measured in the same run.
 */
public final class MergeBenchmark {
    private MergeBenchmark() {
    }

    public record Result(long inputBytes, double floorSeconds, double mergeSeconds, double loadSeconds, double materializeSeconds,
                         double nextSeconds, long candidateElements, List<Rounding> rounding, double roundedSeconds,
                         double unroundedSeconds) {
        public double ratio() {
            return mergeSeconds / floorSeconds;
        }
    }

    /**
     * Rounding to {@code dtype}: nanoseconds per element on one thread, and seconds for one candidate's
     * elements on every thread.
     */
    public record Rounding(DType dtype, double nsPerElement, double candidateSeconds) {
    }

    /**
     * Writes base, ft1..ft3 of about {@code bytesPerModel} bytes each under {@code dir}, with realistic fine-tune
     * differences ({@link SyntheticFineTunes}).
     */
    public static List<Path> writeModels(Path dir, long bytesPerModel) {
        return SyntheticFineTunes.write(dir, SyntheticFineTunes.Layout.llama(bytesPerModel), 3);
    }

    /** The benchmark's merge, of the models {@link #writeModels} writes, named relative to their directory. */
    static final String RECIPE = """
            merge_method: ties
            base_model: base
            models:
              - model: ft1
                parameters: {weight: 0.5, density: 0.5}
              - model: ft2
                parameters: {weight: 0.3, density: 0.5}
              - model: ft3
                parameters: {weight: 0.2, density: 0.5}
            dtype: bfloat16
            """;

    /** The weight files of {@code models}, in order. */
    static List<Path> shards(List<Path> models) throws IOException {
        List<Path> shards = new ArrayList<>();
        for (Path m : models) {
            try (Stream<Path> s = Files.list(m)) {
                shards.addAll(s.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList());
            }
        }
        return shards;
    }

    static long bytes(List<Path> files) throws IOException {
        long bytes = 0;
        for (Path f : files) {
            bytes += Files.size(f);
        }
        return bytes;
    }

    public static Result measure(Path dir, long bytesPerModel, Device device) throws IOException {
        List<Path> models = writeModels(dir, bytesPerModel);
        MergeRecipe recipe = MergeRecipe.parse(RECIPE, "bench");
        List<Path> shards = shards(models);
        long inputBytes = bytes(shards);
        Path floorOut = dir.resolve("floor.bin");
        Path mergeOut = dir.resolve("merged");
        double floor = Double.MAX_VALUE;
        double merge = Double.MAX_VALUE;
        // alternate, best of each; inputs evicted from the page cache first, as when models come from disk
        for (int round = 0; round < 3; round++) {
            AtomicFiles.deleteTree(mergeOut);
            Files.deleteIfExists(floorOut);
            evict(shards);
            long t0 = System.nanoTime();
            ioFloor(shards, floorOut, inputBytes / 4);
            long t1 = System.nanoTime();
            evict(shards);
            long t2 = System.nanoTime();
            MergeEngine.merge(recipe, dir, mergeOut, MergeEngine.Options.defaults(), MergeEngine.Progress.NONE);
            long t3 = System.nanoTime();
            floor = Math.min(floor, (t1 - t0) / 1e9);
            merge = Math.min(merge, (t3 - t2) / 1e9);
        }
        Files.deleteIfExists(floorOut);
        AtomicFiles.deleteTree(mergeOut);

        Map<String, ModelCheckpoint> opened = MergeEngine.open(recipe, dir);
        long t3 = System.nanoTime();
        try (MergeSources sources = MergeSources.load(opened, "base", device)) {
            long t4 = System.nanoTime();
            try (NDManager scope = NDManager.newBaseManager(device)) {
                sources.materialize(recipe, scope);
            }
            long t5 = System.nanoTime();
            try (NDManager scope = NDManager.newBaseManager(device)) {
                sources.materialize(recipe.withRandomSeed(2), scope); // as a search goes on: the last candidate's memory reused
            }
            long t6 = System.nanoTime();
            // the same candidate written as f32 (nothing rounded) against bf16, alternately, best of 3 each
            MergeRecipe unrounded = MergeRecipe.parse(RECIPE.replace("dtype: bfloat16", "dtype: float32"), "bench");
            double rounded = Double.MAX_VALUE;
            double notRounded = Double.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                rounded = Math.min(rounded, materializeSeconds(sources, recipe.withRandomSeed(2), device));
                notRounded = Math.min(notRounded, materializeSeconds(sources, unrounded.withRandomSeed(2), device));
            }
            long elements = MergePlan.of(recipe, sources.checkpoints()).outputs().stream().filter(t -> t.dtype().isFloat())
                    .mapToLong(TensorInfo::numel).sum();
            List<Rounding> rounding = new ArrayList<>();
            for (DType dtype : List.of(DType.BF16, DType.F16)) {
                rounding.add(new Rounding(dtype, roundingSeconds(elements, dtype, 1) / elements * 1e9,
                        roundingSeconds(elements, dtype, ForkJoinPool.getCommonPoolParallelism() + 1)));
            }
            return new Result(inputBytes, floor, merge, (t4 - t3) / 1e9, (t5 - t4) / 1e9, (t6 - t5) / 1e9, elements, rounding,
                    rounded, notRounded);
        }
    }

    private static double materializeSeconds(MergeSources sources, MergeRecipe recipe, Device device) {
        long t0 = System.nanoTime();
        try (NDManager scope = NDManager.newBaseManager(device)) {
            sources.materialize(recipe, scope);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Best of 3: seconds to round {@code elements} f32 values to {@code dtype} in chunks of the kernel's 1,024
     * elements, each in cache, as the kernel rounds them, over {@code threads} threads.
     */
    static double roundingSeconds(long elements, DType dtype, int threads) {
        int chunk = 1024;
        long chunks = (elements + chunk - 1) / chunk;
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            IntStream.range(0, threads).parallel().forEach(t -> {
                float[] values = new float[chunk];
                java.util.SplittableRandom random = new java.util.SplittableRandom(t);
                for (int i = 0; i < chunk; i++) {
                    values[i] = (float) (random.nextGaussian() * 0.02); // weights' magnitudes; rounding is branch-free anyway
                }
                for (long c = chunks * t / threads; c < chunks * (t + 1) / threads; c++) {
                    HalfPrecision.round(values, 0, chunk, dtype);
                }
            });
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }

    static void evict(List<Path> files) throws IOException {
        if (dev.evomerge.tensor.PageCache.available()) {
            for (Path f : files) {
                dev.evomerge.tensor.PageCache.evict(f);
            }
        }
    }

    /** Reads every input byte once and writes {@code outputBytes} (one model's worth), fsynced: the least a merge must do. */
    static void ioFloor(List<Path> inputs, Path output, long outputBytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(8 << 20);
        try (FileChannel out = FileChannel.open(output, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long written = 0;
            for (Path f : inputs) {
                try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ)) {
                    while (in.read(buffer) > 0) {
                        buffer.flip();
                        if (written < outputBytes) {
                            written += out.write(buffer);
                        }
                        buffer.clear();
                    }
                }
            }
            out.force(true);
        }
    }


    public static void report(Result r, PrintWriter out) {
        out.printf("bench merge: ties of a base and 3 fine-tunes, %.2f GB of bf16 inputs in all, read from disk (evicted from the page cache), best of 3%n",
                r.inputBytes / 1e9);
        out.printf("  I/O floor (read all inputs, write one output)  %7.2f s%n", r.floorSeconds);
        out.printf("  merge, end to end                              %7.2f s%n", r.mergeSeconds);
        out.printf("  ratio                                          %7.2f ×  (goal ≤ 1.5)%n", r.ratio());
        out.printf("  load sources for search (base + 3 models)       %7.2f s%n", r.loadSeconds);
        out.printf("  materialize one candidate in memory            %7.2f s%n", r.materializeSeconds);
        out.printf("  the next candidate (its memory reused)         %7.2f s%n", r.nextSeconds);
        for (Rounding x : r.rounding) {
            out.printf("  rounding it to %-4s (%,d elements)  %5.3f ns/element on one thread; %.3f s on %d threads = %.2f %% of the next candidate's time%n",
                    x.dtype(), r.candidateElements, x.nsPerElement(), x.candidateSeconds(), ForkJoinPool.getCommonPoolParallelism() + 1,
                    100 * x.candidateSeconds() / r.nextSeconds);
        }
        out.printf("  the next candidate rounded to bf16 vs as f32 (dtype: float32, nothing rounded), best of 3  %.2f s vs %.2f s%n",
                r.roundedSeconds, r.unroundedSeconds);
    }
}
