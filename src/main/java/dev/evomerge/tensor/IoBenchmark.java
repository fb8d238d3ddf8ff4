package dev.evomerge.tensor;

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
 * {@code bench io}: reading a bf16 checkpoint and converting it to f32, beside a plain sequential read of
 * the same files in the same run, twice: cold (each file's pages evicted from the page cache first, as
 * when a merge reads models from disk) and warm (from the page cache, where the bytes only cross memory
 * and the f32 output, twice their size, is the larger cost).
 */
public final class IoBenchmark {
    private IoBenchmark() {
    }

    public record Result(String label, long bytes, double plainSeconds, double convertSeconds) {
        public double plainGbPerSecond() {
            return bytes / plainSeconds / 1e9;
        }

        public double convertGbPerSecond() {
            return bytes / convertSeconds / 1e9;
        }

        /** Read + convert throughput over plain read throughput; the goal is ≥ 0.8. */
        public double ratio() {
            return plainSeconds / convertSeconds;
        }
    }

    /** Writes a bf16 checkpoint of about {@code bytes} bytes in 64 MiB tensors and 512 MiB shards under {@code dir}. */
    public static Path writeCheckpoint(Path dir, long bytes) {
        long perTensor = 64L << 20;
        int tensors = (int) Math.max(1, bytes / perTensor);
        int rows = 4096;
        int cols = (int) (perTensor / 2 / rows);
        List<TensorInfo> plan = new ArrayList<>();
        for (int i = 0; i < tensors; i++) {
            plan.add(TensorInfo.of("model.layers." + i + ".mlp.up_proj.weight", DType.BF16, rows, cols));
        }
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i * 1e-3) * 0.02f;
        }
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir, plan, 512L << 20, Map.of("format", "pt"))) {
            for (TensorInfo t : plan) {
                writer.write(t.name(), values);
            }
            writer.commit();
        }
        return dir;
    }

    /** Best of {@code rounds} for each, alternating so that both see the same machine. */
    public static Result measure(Path checkpoint, int rounds, boolean cold) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(checkpoint)) {
            files = s.filter(f -> f.toString().endsWith(".safetensors")).sorted().toList();
        }
        long bytes = 0;
        for (Path f : files) {
            bytes += Files.size(f);
        }
        double plain = Double.MAX_VALUE;
        double convert = Double.MAX_VALUE;
        plainRead(files); // warm the page cache
        for (int r = 0; r < rounds; r++) {
            evictIf(cold, files);
            long t0 = System.nanoTime();
            plainRead(files);
            long t1 = System.nanoTime();
            evictIf(cold, files);
            long t2 = System.nanoTime();
            readAndConvert(checkpoint);
            long t3 = System.nanoTime();
            plain = Math.min(plain, (t1 - t0) / 1e9);
            convert = Math.min(convert, (t3 - t2) / 1e9);
        }
        return new Result(cold ? "cold (evicted from the page cache)" : "warm (page cache)", bytes, plain, convert);
    }

    private static void evictIf(boolean cold, List<Path> files) throws IOException {
        if (cold) {
            for (Path f : files) {
                PageCache.evict(f);
            }
        }
    }

    /** Every byte read once through a file channel into a reused buffer. */
    static long plainRead(List<Path> files) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(8 << 20);
        long total = 0;
        for (Path f : files) {
            try (FileChannel channel = FileChannel.open(f, StandardOpenOption.READ)) {
                int n;
                while ((n = channel.read(buffer)) > 0) {
                    total += n;
                    buffer.clear();
                }
            }
        }
        return total;
    }

    /** Every tensor mapped and converted to f32, as a merge reads it. */
    static double readAndConvert(Path checkpoint) {
        double check = 0;
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(checkpoint)) {
            long largest = ckpt.tensors().stream().mapToLong(TensorInfo::numel).max().orElse(0);
            float[] buffer = new float[(int) largest];
            for (TensorInfo t : ckpt.tensors()) {
                ckpt.readFloats(t.name(), buffer);
                check += buffer[(int) t.numel() - 1];
            }
        }
        return check;
    }

    public static void report(Result r, PrintWriter out) {
        out.printf("bench io: %.2f GB bf16 checkpoint, %s, best of rounds%n", r.bytes / 1e9, r.label);
        out.printf("  plain sequential read     %6.2f GB/s  (%.3f s)%n", r.plainGbPerSecond(), r.plainSeconds);
        out.printf("  read + bf16→f32 convert   %6.2f GB/s  (%.3f s)%n", r.convertGbPerSecond(), r.convertSeconds);
        out.printf("  ratio                     %6.2f     (goal ≥ 0.80)%n", r.ratio());
    }
}
