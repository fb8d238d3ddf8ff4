package dev.evomerge.tensor;

/**
 * f32 values in memory that hold only what {@code dtype} can: each chunk written is first rounded as encoding
 * to {@code dtype} rounds it ({@link HalfPrecision#round}). A candidate merged in memory is written into
 * these, so that it is scored with the values of the checkpoint that exporting it writes.
 *
 * @param values the f32 memory
 * @param dtype  the dtype the tensor will be written in (a float type; for f32 nothing is rounded)
 */
public record RoundedTensor(StoredTensor values, DType dtype) implements TensorOutput {
    public RoundedTensor {
        if (values.dtype() != DType.F32) {
            throw new IllegalArgumentException("rounded values are held as F32, not " + values.dtype());
        }
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException("not a float type: " + dtype);
        }
    }

    @Override
    public long count() {
        return values.count();
    }

    @Override
    public void write(long at, float[] chunk, int count) {
        HalfPrecision.round(chunk, 0, count, dtype);
        values.write(at, chunk, count);
    }
}
