package dev.evomerge.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsCheckpointTest {
    @TempDir
    Path dir;

    /** A raw safetensors file with any header, for the malformed cases. */
    static Path rawFile(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
        return file;
    }

    private static byte[] randomBytes(Random random, long n) {
        byte[] bytes = new byte[(int) n];
        random.nextBytes(bytes);
        return bytes;
    }

    @Test
    void everyDtypeRoundTripsBitExactInOneFileAndInShards() throws IOException {
        Random random = new Random(11);
        List<TensorInfo> plan = new ArrayList<>();
        for (DType type : DType.values()) {
            plan.add(TensorInfo.of("t." + type.name().toLowerCase(), type, 3, 5));
        }
        plan.add(TensorInfo.of("scalar", DType.F32));
        plan.add(TensorInfo.of("empty", DType.F16, 0, 4));
        Map<String, byte[]> content = new java.util.HashMap<>();
        for (long maxShard : new long[] {1L << 30, 100}) {
            Path out = dir.resolve("ckpt-" + maxShard);
            try (SafetensorsWriter writer = SafetensorsWriter.create(out, plan, maxShard, Map.of("format", "pt"))) {
                for (TensorInfo t : plan) {
                    byte[] bytes = content.computeIfAbsent(t.name(), n -> randomBytes(random, t.byteSize()));
                    writer.writeRaw(t.name(), MemorySegment.ofArray(bytes));
                }
                writer.commit();
            }
            try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(out)) {
                assertEquals(plan, ckpt.tensors());
                assertEquals(maxShard == 100 ? plan.size() > 1 : false, ckpt.shardCount() > 1);
                assertEquals("pt", ckpt.metadata().get("format"));
                for (TensorInfo t : plan) {
                    assertArrayEquals(content.get(t.name()), ckpt.raw(t.name()).toArray(ValueLayout.JAVA_BYTE), t.name());
                }
            }
        }
        assertTrue(Files.exists(dir.resolve("ckpt-100").resolve(SafetensorsCheckpoint.INDEX)));
        assertFalse(Files.exists(dir.resolve("ckpt-" + (1L << 30)).resolve(SafetensorsCheckpoint.INDEX)));
    }

    @Test
    void floatsAreConvertedOnWriteAndRead() {
        float[] values = {1.0f, -2.5f, 3.140625f, 1e-3f};
        List<TensorInfo> plan = List.of(TensorInfo.of("a", DType.BF16, 2, 2), TensorInfo.of("b", DType.F32, 4));
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir, plan, 1 << 20, Map.of())) {
            writer.write("a", values);
            writer.write("b", values);
            writer.commit();
        }
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir.resolve("model.safetensors"))) {
            assertArrayEquals(values, ckpt.readFloats("b"));
            float[] a = ckpt.readFloats("a");
            for (int i = 0; i < values.length; i++) {
                assertEquals(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(values[i])), a[i]);
            }
            assertEquals(0x3F80, ckpt.raw("a").get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xFFFF);
        }
    }

    @Test
    void metadataIsWrittenInKeyOrderSoTheSameCheckpointHasTheSameBytes() throws IOException {
        // Map.of iterates in an order fixed per JVM run only: written as it iterates, a merge run twice differed
        Map<String, String> metadata = Map.of("format", "pt", "evomerge_recipe", "merge_method: linear", "b", "2", "a", "1");
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir, List.of(TensorInfo.of("x", DType.U8, 3)), 1 << 20, metadata)) {
            writer.writeRaw("x", MemorySegment.ofArray(new byte[] {1, 2, 3}));
            writer.commit();
        }
        String header = new String(Files.readAllBytes(dir.resolve("model.safetensors")), StandardCharsets.UTF_8);
        assertTrue(header.contains("{\"__metadata__\":{\"a\":\"1\",\"b\":\"2\",\"evomerge_recipe\":\"merge_method: linear\",\"format\":\"pt\"}"), header);
    }

    @Test
    void headerIsPaddedToEightBytes() throws IOException {
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir, List.of(TensorInfo.of("x", DType.U8, 3)), 1 << 20, Map.of())) {
            writer.writeRaw("x", MemorySegment.ofArray(new byte[] {1, 2, 3}));
            writer.commit();
        }
        byte[] file = Files.readAllBytes(dir.resolve("model.safetensors"));
        long headerLength = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
        assertEquals(8 + headerLength + 3, file.length);
    }

    @Test
    void aWriterClosedWithoutCommitLeavesNothing() throws IOException {
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir, List.of(TensorInfo.of("x", DType.F32, 4)), 1 << 20, Map.of())) {
            writer.write("x", new float[4]);
        }
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void commitRefusesAPlannedTensorNeverWritten() {
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir,
                List.of(TensorInfo.of("x", DType.F32, 4), TensorInfo.of("y", DType.F32, 1)), 1 << 20, Map.of())) {
            writer.write("x", new float[4]);
            IllegalStateException e = assertThrows(IllegalStateException.class, writer::commit);
            assertTrue(e.getMessage().contains("y"), e.getMessage());
        }
    }

    @Test
    void aTensorOverTwoGibibytesIsReadThroughTheMapWithoutTheHeap() throws IOException {
        long elements = (1L << 31) + 8;   // 4 GiB + 16 bytes of bf16: too many for any Java array
        String header = "{\"big\":{\"dtype\":\"BF16\",\"shape\":[" + elements + "],\"data_offsets\":[0," + elements * 2 + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            raf.write(prefix.array());
            raf.write(h);
            raf.setLength(8 + h.length + elements * 2); // sparse: no blocks on disk
            raf.seek(8 + h.length + elements * 2 - 2);
            raf.write(new byte[] {(byte) 0x80, 0x3F}); // last element = 1.0 in bf16
        }
        long heapBefore = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(file)) {
            MemorySegment big = ckpt.raw("big");
            assertEquals(elements * 2, big.byteSize());
            short last = big.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), big.byteSize() - 2);
            assertEquals(1.0f, HalfPrecision.bf16ToFloat(last));
            assertEquals(0, big.get(ValueLayout.JAVA_SHORT_UNALIGNED, 3L << 30));
            EvomergeException e = assertThrows(EvomergeException.class, () -> ckpt.readFloats("big"));
            assertTrue(e.getMessage().contains("raw()"), e.getMessage());
        }
        long heapAfter = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(heapAfter - heapBefore < 512L << 20, "2 GiB tensor must not be copied into the heap");
    }

    // --- untrusted input: each is one clear error naming the file and, where there is one, the tensor

    private EvomergeException refused(Path file) {
        return assertThrows(EvomergeException.class, () -> SafetensorsCheckpoint.open(file).close());
    }

    private void assertRefused(String header, byte[] data, String... fragments) throws IOException {
        Path file = rawFile(dir.resolve("bad.safetensors"), header, data);
        String message = refused(file).getMessage();
        assertTrue(message.startsWith(file.toString()), message);
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "'" + fragment + "' not in: " + message);
        }
    }

    @Test
    void rejectsHeaderLongerThanFile() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertTrue(refused(file).getMessage().contains("runs past the end"));
    }

    @Test
    void rejectsHeaderOverOneHundredMegabytes() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L).array());
        assertTrue(refused(file).getMessage().contains("100 MB"));
    }

    @Test
    void rejectsFileShorterThanItsHeaderLength() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertTrue(refused(file).getMessage().contains("not a safetensors file"));
    }

    @Test
    void rejectsInvalidJson() throws IOException {
        assertRefused("{\"a\": {\"dtype\": ", new byte[0], "not valid JSON");
    }

    @Test
    void rejectsUnknownDtype() throws IOException {
        assertRefused("{\"w\":{\"dtype\":\"F8_E4M3X\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1], "'w'", "unknown dtype");
    }

    @Test
    void rejectsShapeThatDoesNotFitItsByteRange() throws IOException {
        assertRefused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[12], "'w'", "needs 16 bytes");
    }

    @Test
    void rejectsOffsetsOutOfBounds() throws IOException {
        assertRefused("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8], "'w'", "run past");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        assertRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12], "'b'", "overlaps");
    }

    @Test
    void rejectsHolesBetweenTensors() throws IOException {
        assertRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12], "'b'", "hole");
    }

    @Test
    void rejectsTrailingBytesNoTensorOwns() throws IOException {
        assertRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8], "trailing");
    }

    @Test
    void rejectsDuplicateNames() throws IOException {
        assertRefused("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8], "Duplicate", "a");
    }

    private Path shardedCheckpoint() {
        Path out = dir.resolve("sharded");
        List<TensorInfo> plan = List.of(TensorInfo.of("a", DType.F32, 4), TensorInfo.of("b", DType.F32, 4));
        try (SafetensorsWriter writer = SafetensorsWriter.create(out, plan, 16, Map.of())) {
            writer.write("a", new float[4]);
            writer.write("b", new float[4]);
            writer.commit();
        }
        return out;
    }

    @Test
    void rejectsIndexNamingAShardOutsideTheCheckpoint() throws IOException {
        Path out = shardedCheckpoint();
        Path index = out.resolve(SafetensorsCheckpoint.INDEX);
        Files.copy(out.resolve("model-00002-of-00002.safetensors"), dir.resolve("outside.safetensors"));
        for (String evil : new String[] {"../outside.safetensors", dir.resolve("outside.safetensors").toString()}) {
            Files.writeString(index, "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"" + evil + "\"}}");
            String message = refused(out).getMessage();
            assertTrue(message.contains("outside the checkpoint directory") && message.contains("'b'"), message);
        }
    }

    @Test
    void rejectsIndexNamingAMissingShard() throws IOException {
        Path out = shardedCheckpoint();
        Files.delete(out.resolve("model-00002-of-00002.safetensors"));
        String message = refused(out).getMessage();
        assertTrue(message.contains("missing") && message.contains("'b'"), message);
    }

    @Test
    void refusesPickleCheckpoints() throws IOException {
        Path model = Files.createDirectories(dir.resolve("pickled"));
        Files.write(model.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        String message = refused(model).getMessage();
        assertTrue(message.contains("never loaded") && message.contains("convert it to safetensors"), message);
        assertTrue(refused(model.resolve("pytorch_model.bin")).getMessage().contains("pickle"));
    }

    @Test
    void segmentsAreUsableFromSeveralThreads() throws Exception {
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir,
                List.of(TensorInfo.of("x", DType.F32, 1000)), 1 << 20, Map.of())) {
            float[] v = new float[1000];
            java.util.Arrays.fill(v, 2f);
            writer.write("x", v);
            writer.commit();
        }
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            double sum = java.util.stream.IntStream.range(0, 8).parallel()
                    .mapToDouble(i -> ckpt.readFloats("x")[i * 100]).sum();
            assertEquals(16.0, sum);
        }
    }
}
