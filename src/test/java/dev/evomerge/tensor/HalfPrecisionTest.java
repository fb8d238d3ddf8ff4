package dev.evomerge.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HalfPrecisionTest {
    private static int bits(short s) {
        return s & 0xFFFF;
    }

    @Test
    void bf16RoundsToNearestEvenOnHandComputedPatterns() {
        // 1.0 = 0x3F800000 → 0x3F80 exactly
        assertEquals(0x3F80, bits(HalfPrecision.floatToBf16(1.0f)));
        // halfway below an even mantissa rounds down: 0x3F808000 is exactly between 0x3F80 and 0x3F81
        assertEquals(0x3F80, bits(HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3F808000))));
        // halfway above an odd mantissa rounds up to even: between 0x3F81 and 0x3F82
        assertEquals(0x3F82, bits(HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3F818000))));
        // just above halfway rounds up
        assertEquals(0x3F81, bits(HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3F808001))));
        // just below halfway rounds down
        assertEquals(0x3F80, bits(HalfPrecision.floatToBf16(Float.intBitsToFloat(0x3F807FFF))));
        // negative values round symmetrically
        assertEquals(0xBF82, bits(HalfPrecision.floatToBf16(Float.intBitsToFloat(0xBF818000))));
        // the largest finite float rounds up into infinity, as PyTorch does
        assertEquals(0x7F80, bits(HalfPrecision.floatToBf16(Float.MAX_VALUE)));
        // subnormals keep their top bits
        assertEquals(0x0001, bits(HalfPrecision.floatToBf16(Float.intBitsToFloat(0x00010000))));
    }


    @Test
    void bf16KeepsInfinitiesZerosAndNaN() {
        assertEquals(0x7F80, bits(HalfPrecision.floatToBf16(Float.POSITIVE_INFINITY)));
        assertEquals(0xFF80, bits(HalfPrecision.floatToBf16(Float.NEGATIVE_INFINITY)));
        assertEquals(0x0000, bits(HalfPrecision.floatToBf16(0.0f)));
        assertEquals(0x8000, bits(HalfPrecision.floatToBf16(-0.0f)));
        // a NaN whose payload sits only in the low 16 bits must not round into infinity
        short nan = HalfPrecision.floatToBf16(Float.intBitsToFloat(0x7F800001));
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(nan)));
        assertEquals(0x7FC0, bits(nan));
        assertTrue(Float.isNaN(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(Float.NaN))));
        assertEquals(Float.POSITIVE_INFINITY, HalfPrecision.bf16ToFloat((short) 0x7F80));
        assertEquals(-2.0f, HalfPrecision.bf16ToFloat((short) 0xC000));
    }

    @Test
    void everyBf16ValueSurvivesARoundTrip() {
        for (int b = 0; b < 0x10000; b++) {
            float f = HalfPrecision.bf16ToFloat((short) b);
            if (!Float.isNaN(f)) {
                assertEquals(b, bits(HalfPrecision.floatToBf16(f)), "bf16 0x" + Integer.toHexString(b));
            }
        }
    }

    @Test
    void f16MatchesHandComputedPatterns() {
        assertEquals(0x3C00, bits(HalfPrecision.floatToF16(1.0f)));
        assertEquals(0x7BFF, bits(HalfPrecision.floatToF16(65504f)));           // largest finite
        assertEquals(0x7C00, bits(HalfPrecision.floatToF16(65520f)));           // halfway past max: to infinity
        assertEquals(0x0001, bits(HalfPrecision.floatToF16(5.9604645e-8f)));    // smallest subnormal
        assertEquals(0x3C00, bits(HalfPrecision.floatToF16(Float.intBitsToFloat(0x3F801000)))); // tie, to even
        assertEquals(0x3C02, bits(HalfPrecision.floatToF16(Float.intBitsToFloat(0x3F803000)))); // tie, to even (up)
        assertTrue(Float.isNaN(HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(Float.NaN))));
    }

    @Test
    void bulkConversionAgreesWithScalarOneForEveryFloatType() {
        Random random = new Random(3);
        float[] values = new float[300_001]; // several parallel chunks and a ragged tail
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
        }
        try (Arena arena = Arena.ofShared()) { // converted in parallel: the segment must be shared
            for (DType type : new DType[] {DType.BF16, DType.F16, DType.F32, DType.F64}) {
                MemorySegment segment = arena.allocate((long) values.length * type.byteSize());
                HalfPrecision.encode(values, type, segment);
                float[] back = new float[values.length];
                HalfPrecision.decode(segment, type, back, back.length);
                for (int i = 0; i < values.length; i += 997) {
                    float expected = switch (type) {
                        case BF16 -> HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(values[i]));
                        case F16 -> HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(values[i]));
                        default -> values[i];
                    };
                    assertEquals(expected, back[i], type + " at " + i);
                }
            }
        }
    }

    @Test
    void roundingInPlaceGivesTheBitsOfEncodingThenDecodingForEveryFloatType() {
        // every bf16 and every f16 value, the exact midpoints between neighbours and a float either side of
        // them (ties to even both ways), specials, and random bit patterns
        java.util.List<Integer> patterns = new java.util.ArrayList<>();
        for (int h = 0; h < 0x10000; h++) {
            int bf16 = h << 16;
            int f16 = Float.floatToRawIntBits(Float.float16ToFloat((short) h));
            for (int b : new int[] {bf16, f16}) {
                for (int low : new int[] {0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF}) {
                    patterns.add(b + low);
                }
                patterns.add(b + 0x1000);
                patterns.add(b - 1);
            }
        }
        Random random = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            patterns.add(random.nextInt());
        }
        for (float special : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_NORMAL, 65504f, 65520f, 5.9604645e-8f}) {
            patterns.add(Float.floatToRawIntBits(special));
        }
        patterns.add(0x7F800001); // NaN payloads only in the low half
        patterns.add(0xFFC00001);
        float[] values = new float[patterns.size() + 3]; // rounded from an offset, with a ragged tail
        for (int i = 0; i < patterns.size(); i++) {
            values[i + 3] = Float.intBitsToFloat(patterns.get(i));
        }
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[] {DType.BF16, DType.F16, DType.F32, DType.F64}) {
                float[] source = java.util.Arrays.copyOfRange(values, 3, values.length);
                MemorySegment stored = arena.allocate((long) source.length * type.byteSize());
                HalfPrecision.encode(source, type, stored);
                float[] expected = new float[source.length];
                HalfPrecision.decode(stored, type, expected, expected.length);
                float[] rounded = values.clone();
                HalfPrecision.round(rounded, 3, source.length, type);
                for (int i = 0; i < source.length; i++) {
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(rounded[i + 3]),
                            type + ": 0x" + Integer.toHexString(patterns.get(i)));
                }
                for (int i = 0; i < 3; i++) {
                    assertEquals(0f, rounded[i], "outside the range: untouched");
                }
            }
        }
    }
}
