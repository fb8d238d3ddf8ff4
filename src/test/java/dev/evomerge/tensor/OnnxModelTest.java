package dev.evomerge.tensor;

import static dev.evomerge.tensor.TinyOnnx.Message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.evomerge.EvomergeException;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.model.PretrainedEmbeddings;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    @Test
    void namesAnonymousInitializersAfterTheNodesThatConsumeThem() throws IOException {
        try (OnnxModel model = OnnxModel.open(write("dense.onnx", TinyOnnx.dense()))) {
            assertEquals(List.of("layer.0.dense.weight", "layer.0.dense.bias"), model.names());
            assertEquals("onnx::MatMul_7", model.onnxName("layer.0.dense.weight"));
            assertEquals("layer.0.dense.bias", model.onnxName("layer.0.dense.bias"));
            assertArrayEquals(new float[] {1, 2, 3, 4}, model.readFloats("layer.0.dense.weight"));
            assertArrayEquals(new float[] {0.5f, -0.5f}, model.readFloats("layer.0.dense.bias"));
            assertArrayEquals(new long[] {2, 2}, model.info("layer.0.dense.weight").shape());
            assertEquals(List.of("x"), model.inputs());
            assertEquals(List.of("y"), model.outputs());
        }
    }

    @Test
    void readsEveryTypedField() throws IOException {
        Message unpacked = new Message().varint(1, 3).varint(2, 1).fixed32(4, Float.floatToIntBits(1.5f))
                .fixed32(4, Float.floatToIntBits(-2f)).fixed32(4, Float.floatToIntBits(7f)).string(8, "extra.unpacked");
        Message int64 = new Message().varint(1, 3).varint(2, 7).bytes(7, new byte[] {5, (byte) 0xFF, 0x01, 0})
                .string(8, "extra.ids"); // packed varints 5, 255, 0
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).putDouble(-3);
        Message doubles = new Message().varint(1, 2).varint(2, 11).bytes(10, d.array()).string(8, "extra.doubles");
        Message half = new Message().varint(1, 2).varint(2, 10).varint(5, 0x3C00).varint(5, 0xC000).string(8, "extra.half"); // 1, -2
        Message bools = new Message().varint(1, 2).varint(2, 9).varint(5, 1).varint(5, 0).string(8, "extra.mask");
        Message text = new Message().varint(1, 1).varint(2, 8).string(6, "hello").string(8, "extra.text");
        byte[] bytes = TinyOnnx.dense(TinyOnnx.raw("onnx::MatMul_7", new long[] {2, 2}, 1, 2, 3, 4),
                TinyOnnx.raw("layer.0.dense.bias", new long[] {2}, 0, 0), unpacked, int64, doubles, half, bools, text);
        try (OnnxModel model = OnnxModel.open(write("typed.onnx", bytes))) {
            assertArrayEquals(new float[] {1.5f, -2f, 7f}, model.readFloats("extra.unpacked"));
            assertArrayEquals(new long[] {5, 255, 0}, model.raw("extra.ids").toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)));
            assertArrayEquals(new float[] {0.25f, -3f}, model.readFloats("extra.doubles"));
            assertArrayEquals(new float[] {1f, -2f}, model.readFloats("extra.half"));
            assertArrayEquals(new byte[] {1, 0}, model.raw("extra.mask").toArray(ValueLayout.JAVA_BYTE));
            assertEquals(DType.BOOL, model.info("extra.mask").dtype());
            assertFalse(model.contains("extra.text"), "strings are carried, not listed");

            // a patched copy writes the new floats in each initializer's own type and keeps the rest
            Path copy = dir.resolve("copy.onnx");
            model.writePatched(copy, name -> name.equals("extra.half") ? StoredTensor.of(new float[] {0.5f, 4f}) : null);
            try (OnnxModel patched = OnnxModel.open(copy)) {
                assertArrayEquals(new float[] {0.5f, 4f}, patched.readFloats("extra.half"));
                assertEquals(DType.F16, patched.info("extra.half").dtype());
                assertArrayEquals(new float[] {1.5f, -2f, 7f}, patched.readFloats("extra.unpacked"));
                assertArrayEquals(new long[] {5, 255, 0}, patched.raw("extra.ids").toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)));
                assertTrue(Files.readString(copy, java.nio.charset.StandardCharsets.ISO_8859_1).contains("hello"), "the string initializer is carried");
            }
        }
    }

    @Test
    void readsExternalDataAndPatchedCopiesBringItInline() throws IOException {
        byte[] data = new byte[8 + 16];
        System.arraycopy(TinyOnnx.floats(1, 2, 3, 4), 0, data, 8, 16);
        Files.write(dir.resolve("weights.bin"), data);
        Message weight = new Message().varint(1, 2).varint(1, 2).varint(2, 1).string(8, "onnx::MatMul_7")
                .message(13, new Message().string(1, "location").string(2, "weights.bin"))
                .message(13, new Message().string(1, "offset").string(2, "8"))
                .message(13, new Message().string(1, "length").string(2, "16"))
                .varint(14, 1);
        Path file = write("external.onnx", TinyOnnx.dense(weight, TinyOnnx.raw("layer.0.dense.bias", new long[] {2}, 1, 1)));
        try (OnnxModel model = OnnxModel.open(file)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, model.readFloats("layer.0.dense.weight"));
            assertEquals(2, model.shardCount());
            Path elsewhere = Files.createDirectories(dir.resolve("elsewhere")).resolve("model.onnx");
            model.writePatched(elsewhere, name -> null);
            try (OnnxModel copy = OnnxModel.open(elsewhere)) {
                assertEquals(1, copy.shardCount(), "external data is brought inline");
                assertArrayEquals(new float[] {1, 2, 3, 4}, copy.readFloats("layer.0.dense.weight"));
                assertEquals("onnx::MatMul_7", copy.onnxName("layer.0.dense.weight"));
            }
        }
    }

    @Test
    void aPatchedCopyOfARealModelWithItsOwnValuesIsTheSameBytes() throws IOException {
        Path original = PretrainedEmbeddings.BGE_SMALL_EN.directory().resolve("model.onnx");
        try (OnnxModel model = OnnxModel.open(original); Arena arena = Arena.ofConfined()) {
            assertEquals(197, model.tensors().size());
            MemorySegment out = arena.allocate(model.patchedSize());
            model.writePatched(out, name -> null);
            assertEquals(-1, out.mismatch(MemorySegment.ofArray(Files.readAllBytes(original))), "byte for byte");
            // and with every float given again (a candidate equal to the base): still the same bytes
            MemorySegment again = arena.allocate(model.patchedSize());
            model.writePatched(again, name -> StoredTensor.of(model.readFloats(name)));
            assertEquals(-1, again.mismatch(out));
        }
    }

    @Test
    void realModelsHaveNamedLayersAndTheirExtraIntegerTensor() {
        try (ModelCheckpoint bge = ModelCheckpoint.open(PretrainedEmbeddings.BGE_SMALL_EN_V15.directory());
             ModelCheckpoint e5 = ModelCheckpoint.open(PretrainedEmbeddings.E5_SMALL_V2.directory())) {
            assertEquals("bert", bge.architecture().family());
            assertEquals(12, bge.architecture().layerCount());
            assertEquals(List.of(384L, 1536L), List.of(bge.weights().info("encoder.layer.11.intermediate.dense.weight").shape()[0],
                    bge.weights().info("encoder.layer.11.intermediate.dense.weight").shape()[1]));
            assertEquals("attention.self.query", bge.architecture().moduleOf("encoder.layer.3.attention.self.query.weight"));
            assertEquals(List.of("tokenizer.json"), bge.carriedFiles().stream().map(p -> p.getFileName().toString()).toList());
            long layered = bge.weights().names().stream().filter(n -> bge.architecture().layerOf(n).isPresent()).count();
            assertEquals(12 * 16, layered, "every weight and bias of the 12 layers is in its layer");
            assertEquals(DType.I64, e5.weights().info("embeddings.position_ids").dtype());
            assertEquals(bge.weights().names(), e5.weights().names().stream().filter(n -> !n.equals("embeddings.position_ids")).toList());
        }
    }

    /** Malformed files, each with what its one-line error must say. */
    private static Map<String, byte[]> malformed() {
        Map<String, byte[]> cases = new LinkedHashMap<>();
        byte[] good = TinyOnnx.dense();
        cases.put("truncated", java.util.Arrays.copyOf(good, good.length - 3));
        cases.put("claims 65535 bytes but only 0 remain", new Message().rawBytes(new byte[] {0x3A, (byte) 0xFF, (byte) 0xFF, 0x03}).toBytes()); // graph claims 64 KB
        cases.put("longer than ten bytes", new Message().rawBytes(new byte[] {0x08, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1}).toBytes());
        cases.put("wire type 3", new Message().rawBytes(new byte[] {0x0B}).toBytes());
        cases.put("no graph", new Message().varint(1, 8).toBytes());
        cases.put("more than one graph", new Message().message(7, new Message()).message(7, new Message()).toBytes());
        cases.put("needs 16 bytes but raw_data has 12", TinyOnnx.dense(TinyOnnx.raw("onnx::MatMul_7", new long[] {2, 2}, 1, 2, 3),
                TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("does not fit", TinyOnnx.dense(new Message().varint(1, 2).varint(2, 10).varint(5, 70000).varint(5, 0).string(8, "w.h"),
                TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("shape [4611686018427387904, 4] overflows", TinyOnnx.dense(TinyOnnx.raw("w.x", new long[] {1L << 62, 4}, 1),
                TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("negative dimension", TinyOnnx.dense(TinyOnnx.raw("w.x", new long[] {-2}, 1, 2), TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("unknown ONNX data type 99", TinyOnnx.dense(new Message().varint(1, 1).varint(2, 99).string(8, "w.x").bytes(9, new byte[4]),
                TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("two initializers are named", TinyOnnx.dense(TinyOnnx.raw("b.bias", new long[] {2}, 0, 0), TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("more than one place", TinyOnnx.dense(TinyOnnx.raw("w.x", new long[] {1}, 1).bytes(4, TinyOnnx.floats(1)),
                TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("no data for its 2 elements", TinyOnnx.dense(new Message().varint(1, 2).varint(2, 1).string(8, "w.x"), TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("outside the model's directory", TinyOnnx.dense(external("../secret.bin", "0", "8"), TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("is missing", TinyOnnx.dense(external("absent.bin", "0", "8"), TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("run past the 16-byte file", TinyOnnx.dense(external("short.bin", "12", "8"), TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("not valid UTF-8", TinyOnnx.dense(new Message().varint(1, 1).varint(2, 1).bytes(8, new byte[] {(byte) 0xC3, 0x28}).bytes(9, new byte[4]),
                TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("without a name", TinyOnnx.dense(new Message().varint(1, 1).varint(2, 1).bytes(9, new byte[4]), TinyOnnx.raw("b.bias", new long[] {2}, 0, 0)));
        cases.put("empty file", new byte[0]);
        return cases;
    }

    private static Message external(String location, String offset, String length) {
        return new Message().varint(1, 2).varint(2, 1).string(8, "w.ext")
                .message(13, new Message().string(1, "location").string(2, location))
                .message(13, new Message().string(1, "offset").string(2, offset))
                .message(13, new Message().string(1, "length").string(2, length))
                .varint(14, 1);
    }

    @Test
    void rejectsEachMalformedFileWithOneLineSayingWhatIsWrong() throws IOException {
        Files.write(dir.resolve("short.bin"), new byte[16]);
        int i = 0;
        for (var c : malformed().entrySet()) {
            Path file = write("bad-" + i++ + ".onnx", c.getValue());
            EvomergeException e = assertThrows(EvomergeException.class, () -> OnnxModel.open(file).close(), c.getKey());
            assertTrue(e.getMessage().contains(c.getKey()), "'" + c.getKey() + "' not in: " + e.getMessage());
            assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
    }

    @Test
    void everyTruncationAndByteFlipEitherOpensOrFailsWithOneLine() throws IOException {
        byte[] good = TinyOnnx.dense();
        SplittableRandom random = new SplittableRandom(17);
        for (int n = 0; n < good.length + 200; n++) {
            byte[] bytes;
            if (n < good.length) {
                bytes = java.util.Arrays.copyOf(good, n);
            } else {
                bytes = good.clone();
                for (int k = 0; k < 3; k++) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            Path file = write("cut.onnx", bytes);
            try (OnnxModel model = OnnxModel.open(file)) {
                for (String name : model.names()) {
                    model.raw(name); // whatever opened reads within its bounds
                }
            } catch (EvomergeException e) {
                assertFalse(e.getMessage().contains("\n"));
            } catch (RuntimeException e) {
                fail("case " + n + ": " + e, e);
            }
        }
    }
}
