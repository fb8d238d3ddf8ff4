package dev.evomerge.merge;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.evomerge.model.ModelCheckpoint;
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
import java.util.stream.Stream;

/**
 * {@code bench merge}: a TIES merge of a base and three fine-tunes (Llama layout, bf16) end to end, beside
 * the I/O floor measured in the same run: reading every input once and writing (and fsyncing) one output
 * of a model's size. Both read the inputs from disk (evicted from the page cache first), alternately,
 * best of three. Then the time to materialize one candidate in memory from resident sources, and the next
 * one (as a search goes on).
 */
public final class MergeBenchmark {
    private MergeBenchmark() {
    }

    public record Result(long inputBytes, double floorSeconds, double mergeSeconds, double loadSeconds, double materializeSeconds,
                         double nextSeconds) {
        public double ratio() {
            return mergeSeconds / floorSeconds;
        }
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
            return new Result(inputBytes, floor, merge, (t4 - t3) / 1e9, (t5 - t4) / 1e9, (t6 - t5) / 1e9);
        }
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
        out.printf("  load sources for search (base + 3 task vectors) %6.2f s%n", r.loadSeconds);
        out.printf("  materialize one candidate in memory            %7.2f s%n", r.materializeSeconds);
        out.printf("  the next candidate (its memory reused)         %7.2f s%n", r.nextSeconds);
    }
}
