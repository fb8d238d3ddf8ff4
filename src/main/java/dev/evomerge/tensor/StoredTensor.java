package dev.evomerge.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A float tensor as stored: its bytes (a checkpoint's mapping, an output shard's planned place, or f32 in
 * memory) and their element type, read and written as f32 a chunk at a time. Streamed merges work this
 * way so that no whole tensor is ever converted at once: each chunk is decoded, merged and encoded while it
 * is in the cache.
 *
 * @param bytes the tensor's bytes, exactly {@code count() × dtype.byteSize()} of them
 * @param dtype a float type
 */
public record StoredTensor(MemorySegment bytes, DType dtype) implements TensorOutput {
    public StoredTensor {
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException("not a float type: " + dtype);
        }
        if (bytes.byteSize() % dtype.byteSize() != 0) {
            throw new IllegalArgumentException(bytes.byteSize() + " bytes are not whole " + dtype + " elements");
        }
    }

    /** Values in memory, as f32 (written through when written to). */
    public static StoredTensor of(float[] values) {
        return new StoredTensor(MemorySegment.ofArray(values), DType.F32);
    }

    /** The number of elements. */
    @Override
    public long count() {
        return bytes.byteSize() / dtype.byteSize();
    }

    /** Elements {@code from…from+count} into {@code into[0…count)}. */
    public void read(long from, float[] into, int count) {
        HalfPrecision.decode(bytes, dtype, from, into, 0, count);
    }

    /** {@code values[0…count)} into elements {@code at…at+count}, converted to this tensor's type. */
    @Override
    public void write(long at, float[] values, int count) {
        HalfPrecision.encode(values, 0, count, dtype, bytes, at);
    }
}
