package dev.evomerge.tensor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Small ONNX models written field by field, as an exporter writes them, for tests: a dense layer
 * {@code y = x·W + b} over an input of two features, with W anonymous ({@code onnx::MatMul_7}) as exporters
 * name it, and initializers stored every way the format allows.
 */
public final class TinyOnnx {
    private TinyOnnx() {
    }

    /** Protobuf fields appended to a message. */
    public static final class Message {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Message varint(int field, long value) {
            tag(field, 0);
            raw(value);
            return this;
        }

        public Message bytes(int field, byte[] payload) {
            tag(field, 2);
            raw(payload.length);
            out.writeBytes(payload);
            return this;
        }

        public Message string(int field, String text) {
            return bytes(field, text.getBytes(StandardCharsets.UTF_8));
        }

        public Message message(int field, Message m) {
            return bytes(field, m.toBytes());
        }

        public Message fixed32(int field, int bits) {
            tag(field, 5);
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bits).array());
            return this;
        }

        /** Bytes as they are, to write malformed messages. */
        public Message rawBytes(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        private void tag(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        public byte[] toBytes() {
            return out.toByteArray();
        }
    }

    public static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** A float initializer with its values in raw_data. */
    public static Message raw(String name, long[] dims, float... values) {
        Message t = new Message();
        for (long d : dims) {
            t.varint(1, d);
        }
        return t.varint(2, 1).string(8, name).bytes(9, floats(values));
    }

    /** A float initializer with its values in float_data, packed. */
    public static Message packedFloats(String name, long[] dims, float... values) {
        Message t = new Message();
        for (long d : dims) {
            t.varint(1, d);
        }
        return t.varint(2, 1).bytes(4, floats(values)).string(8, name);
    }

    /** A dense layer's graph with {@code weight} (2×2, anonymous) and {@code bias} (2), and any extra initializers. */
    public static byte[] dense(Message weight, Message bias, Message... extra) {
        Message graph = new Message()
                .message(1, new Message().string(1, "x").string(1, "onnx::MatMul_7").string(2, "h").string(3, "/layer.0/dense/MatMul").string(4, "MatMul"))
                .message(1, new Message().string(1, "h").string(1, "layer.0.dense.bias").string(2, "y").string(3, "/layer.0/dense/Add").string(4, "Add"))
                .string(2, "tiny")
                .message(5, weight)
                .message(5, bias);
        for (Message m : extra) {
            graph.message(5, m);
        }
        graph.message(11, valueInfo("x")).message(12, valueInfo("y"));
        return new Message()
                .varint(1, 8)
                .string(2, "evomerge-test")
                .message(7, graph)
                .message(8, new Message().string(1, "").varint(2, 13))
                .toBytes();
    }

    /** The standard dense layer: W = [[1, 2], [3, 4]] (raw_data), b = [0.5, -0.5] (packed float_data). */
    public static byte[] dense() {
        return dense(raw("onnx::MatMul_7", new long[] {2, 2}, 1, 2, 3, 4), packedFloats("layer.0.dense.bias", new long[] {2}, 0.5f, -0.5f));
    }

    /** A float tensor of shape [1, 2]. */
    private static Message valueInfo(String name) {
        Message shape = new Message().message(1, new Message().varint(1, 1)).message(1, new Message().varint(1, 2));
        Message tensorType = new Message().varint(1, 1).message(2, shape);
        return new Message().string(1, name).message(2, new Message().message(1, tensorType));
    }
}
