package dev.evomerge.tensor;

/**
 * Where a streamed merge writes a float tensor, a chunk at a time: an output shard's planned place
 * ({@link StoredTensor}, encoded to its dtype) or a candidate's f32 memory ({@link RoundedTensor}, rounded to
 * the dtype it will be written in). Either way the values kept are the ones the written checkpoint holds.
 */
public interface TensorOutput {
    /** The number of elements. */
    long count();

    /**
     * {@code values[0…count)} into elements {@code at…at+count}; {@code values} is scratch, and may be left
     * rounded.
     */
    void write(long at, float[] values, int count);
}
