package dev.evomerge.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conversions between stored element types and the f32 that merges compute on, in Java.
 *
 * <p>Why here and not in DJL: DJL's PyTorch engine aborts the whole JVM on bf16 data (creating,
 * casting or decoding), so bf16 and f16 never reach it. f32 → bf16 rounds to nearest, ties to even, as
 * PyTorch does; NaN stays NaN (quiet, sign kept). bf16 is converted with the Vector API: C2 runs every
 * plain-loop form of it (a short/int widening, a float/int reinterpretation) a lane at a time, 3–7 times
 * slower. Large arrays are converted in parallel chunks; segments of more than a few chunks are read or
 * written from pool threads, so they must come from a shared or global arena (file mappings here always do).
 *
 * @implNote stateless and thread-safe.
 */
public final class HalfPrecision {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The widest float vectors of this CPU, and shorts and ints of as many lanes. */
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    private static final VectorSpecies<Short> HALVES = VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    /** Elements per parallel chunk: big enough to amortize a task, small enough to stay in cache. */
    private static final int CHUNK = 1 << 16;

    private HalfPrecision() {
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN: keep sign and top payload, force quiet
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /**
     * Decodes {@code count} elements of {@code dtype} (a float type) from {@code src} into {@code dst}
     * starting at {@code dst[0]}.
     */
    public static void decode(MemorySegment src, DType dtype, float[] dst, int count) {
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException("not a float type: " + dtype);
        }
        if (src.byteSize() < (long) count * dtype.byteSize()) {
            throw new IllegalArgumentException("segment of " + src.byteSize() + " bytes holds fewer than " + count + " " + dtype);
        }
        chunks(count).forEach(c -> decodeChunk(src, dtype, dst, c * CHUNK, Math.min(count, (c + 1) * CHUNK)));
    }

    /** Encodes {@code src} into {@code dst} as {@code dtype} (a float type); {@code dst} must be large enough. */
    public static void encode(float[] src, DType dtype, MemorySegment dst) {
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException("not a float type: " + dtype);
        }
        if (dst.byteSize() < (long) src.length * dtype.byteSize()) {
            throw new IllegalArgumentException("segment too small for " + src.length + " " + dtype);
        }
        chunks(src.length).forEach(c -> encodeChunk(src, dtype, dst, c * CHUNK, Math.min(src.length, (c + 1) * CHUNK)));
    }

    private static IntStream chunks(int count) {
        int n = (count + CHUNK - 1) / CHUNK;
        IntStream range = IntStream.range(0, n);
        return n > 4 ? range.parallel() : range;
    }

    private static void decodeChunk(MemorySegment src, DType dtype, float[] dst, int from, int to) {
        decode(src, dtype, from, dst, from, to - from);
    }

    /**
     * Decodes {@code count} elements of {@code dtype} (a float type) starting at element {@code srcIndex} of
     * {@code src} into {@code dst[dstOffset…]}, on the calling thread: the chunk-sized step of streamed merges.
     */
    public static void decode(MemorySegment src, DType dtype, long srcIndex, float[] dst, int dstOffset, int count) {
        long offset = srcIndex * dtype.byteSize();
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, FLOAT, offset, dst, dstOffset, count);
            case BF16 -> {
                // bf16 is the top half of an f32: widen each half to an int and shift it up, a vector at a time
                int i = 0;
                if (src.isNative()) {
                    for (int bound = FLOATS.loopBound(count); i < bound; i += FLOATS.length()) {
                        ShortVector halves = ShortVector.fromMemorySegment(HALVES, src, offset + 2L * i, ByteOrder.LITTLE_ENDIAN);
                        ((IntVector) halves.convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16)
                                .reinterpretAsFloats().intoArray(dst, dstOffset + i);
                    }
                }
                for (; i < count; i++) {
                    dst[dstOffset + i] = bf16ToFloat(src.get(SHORT, offset + 2L * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT, offset + 2L * i));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = (float) src.get(DOUBLE, offset + 8L * i);
                }
            }
            default -> throw new IllegalArgumentException("not a float type: " + dtype);
        }
    }

    private static void encodeChunk(float[] src, DType dtype, MemorySegment dst, int from, int to) {
        encode(src, from, to - from, dtype, dst, from);
    }

    /**
     * Encodes {@code src[srcOffset…srcOffset+count)} as {@code dtype} (a float type) into {@code dst} from
     * element {@code dstIndex} on, on the calling thread: the chunk-sized step of streamed merges.
     */
    public static void encode(float[] src, int srcOffset, int count, DType dtype, MemorySegment dst, long dstIndex) {
        long offset = dstIndex * dtype.byteSize();
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, srcOffset, dst, FLOAT, offset, count);
            case BF16 -> {
                // floatToBf16 a vector at a time: round to nearest even, NaN kept quiet
                int i = 0;
                if (dst.isNative()) {
                    for (int bound = FLOATS.loopBound(count); i < bound; i += FLOATS.length()) {
                        bf16Bits(FloatVector.fromArray(FLOATS, src, srcOffset + i))
                                .convertShape(VectorOperators.I2S, HALVES, 0).intoMemorySegment(dst, offset + 2L * i, ByteOrder.LITTLE_ENDIAN);
                    }
                }
                for (; i < count; i++) {
                    dst.set(SHORT, offset + 2L * i, floatToBf16(src[srcOffset + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(SHORT, offset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst.set(DOUBLE, offset + 8L * i, src[srcOffset + i]);
                }
            }
            default -> throw new IllegalArgumentException("not a float type: " + dtype);
        }
    }

    /**
     * {@link #floatToBf16} a vector at a time: each lane's bf16 bits in the low half of an int (round to
     * nearest even, NaN kept quiet). Encoding and {@link #round} both use it, so they round alike.
     */
    private static IntVector bf16Bits(FloatVector values) {
        IntVector bits = values.reinterpretAsInts();
        IntVector high = bits.lanewise(VectorOperators.LSHR, 16);
        IntVector rounded = bits.add(high.and(1).add(0x7FFF)).lanewise(VectorOperators.LSHR, 16);
        return rounded.blend(high.or(0x0040), bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000));
    }

    /**
     * Rounds {@code values[from…from+count)} in place to the values {@code dtype} (a float type) holds: each
     * becomes what {@link #encode} then {@link #decode} would give back, bit for bit (bf16 and f16 round to
     * nearest even; f32 holds every f32, and f64 too, but for a signalling NaN, which comes back quiet). A
     * candidate merged in memory is rounded this way so that it is scored as the checkpoint written from it
     * will be.
     */
    public static void round(float[] values, int from, int count, DType dtype) {
        java.util.Objects.checkFromIndexSize(from, count, values.length);
        switch (dtype) {
            case F32 -> {
            }
            case F64 -> {
                // a signalling NaN widened to f64 comes back quiet (C2 folds (float) (double) x to x, so say it)
                for (int i = from; i < from + count; i++) {
                    if (Float.isNaN(values[i])) {
                        values[i] = Float.intBitsToFloat(Float.floatToRawIntBits(values[i]) | 0x00400000);
                    }
                }
            }
            case BF16 -> {
                int i = 0;
                for (int bound = FLOATS.loopBound(count); i < bound; i += FLOATS.length()) {
                    bf16Bits(FloatVector.fromArray(FLOATS, values, from + i)).lanewise(VectorOperators.LSHL, 16)
                            .reinterpretAsFloats().intoArray(values, from + i);
                }
                for (; i < count; i++) {
                    values[from + i] = bf16ToFloat(floatToBf16(values[from + i]));
                }
            }
            case F16 -> {
                for (int i = from; i < from + count; i++) {
                    values[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
                }
            }
            default -> throw new IllegalArgumentException("not a float type: " + dtype);
        }
    }
}
