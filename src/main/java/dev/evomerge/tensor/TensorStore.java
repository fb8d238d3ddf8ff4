package dev.evomerge.tensor;

import dev.evomerge.EvomergeException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A model's named tensors as stored on disk, read one at a time on demand: safetensors files
 * ({@link SafetensorsCheckpoint}) or the initializers of an ONNX graph ({@link OnnxModel}). Merges, inspect and
 * per-layer genomes read weights only through this, so both formats merge alike.
 *
 * @implNote implementations are thread-safe for concurrent reads; closing unmaps, after which segments handed
 *     out are invalid.
 */
public interface TensorStore extends AutoCloseable {
    /** The file or directory the tensors were read from. */
    Path location();

    /** Every tensor, in the store's order (the file's). */
    List<TensorInfo> tensors();

    default List<String> names() {
        return tensors().stream().map(TensorInfo::name).toList();
    }

    boolean contains(String name);

    TensorInfo info(String name);

    /** Text the format keeps beside the tensors (safetensors' {@code __metadata__}; empty when there is none). */
    Map<String, String> metadata();

    /** The number of files the tensors are in. */
    int shardCount();

    /** The number of data bytes over all tensors. */
    default long byteSize() {
        return tensors().stream().mapToLong(TensorInfo::byteSize).sum();
    }

    /** The tensor's stored bytes (little-endian, in its dtype), read-only and not copied where the format allows. */
    MemorySegment raw(String name);

    /** A float tensor's stored bytes and type, for reading a chunk at a time. */
    default StoredTensor stored(String name) {
        floatCount(name);
        return new StoredTensor(raw(name), info(name).dtype());
    }

    /** The tensor as f32, converted in Java from any float type, in a new array. */
    default float[] readFloats(String name) {
        float[] values = new float[floatCount(name)];
        HalfPrecision.decode(raw(name), info(name).dtype(), values, values.length);
        return values;
    }

    /**
     * The tensor as f32 into {@code into} (at least {@link TensorInfo#numel} long), for callers that reuse
     * one buffer across tensors: a fresh array costs the JVM a zeroing pass as large as the data.
     */
    default void readFloats(String name, float[] into) {
        int count = floatCount(name);
        if (into.length < count) {
            throw new IllegalArgumentException(name + ": buffer of " + into.length + " for " + count + " values");
        }
        HalfPrecision.decode(raw(name), info(name).dtype(), into, count);
    }

    /** The element count of a float tensor that a Java array holds; an error for any other. */
    private int floatCount(String name) {
        TensorInfo info = info(name);
        if (!info.dtype().isFloat()) {
            throw new EvomergeException(location() + ": tensor '" + name + "' is " + info.dtype() + ", not a float type");
        }
        if (info.numel() > Integer.MAX_VALUE - 8) {
            throw new EvomergeException(location() + ": tensor '" + name + "' has " + info.numel()
                    + " elements, more than a Java array holds; read it through raw()");
        }
        return (int) info.numel();
    }

    @Override
    void close();
}
