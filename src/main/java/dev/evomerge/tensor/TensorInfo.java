package dev.evomerge.tensor;

import java.util.Arrays;

/**
 * A tensor's name, element type and shape: what a safetensors header says of it.
 *
 * @implNote immutable.
 */
public record TensorInfo(String name, DType dtype, long[] shape) {
    public TensorInfo {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a tensor needs a name");
        }
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + name + ": " + Arrays.toString(shape));
            }
        }
    }

    public static TensorInfo of(String name, DType dtype, long... shape) {
        return new TensorInfo(name, dtype, shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    /** The number of elements; a scalar (rank 0) has one. Overflow throws. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteSize() {
        return Math.multiplyExact(numel(), dtype.byteSize());
    }

    public TensorInfo withDtype(DType other) {
        return new TensorInfo(name, other, shape);
    }

    public TensorInfo withName(String other) {
        return new TensorInfo(other, dtype, shape);
    }

    public boolean sameShape(TensorInfo other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
