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
}
