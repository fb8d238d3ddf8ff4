package dev.evomerge.merge;

/**
 * The k-th smallest of non-negative floats in linear time, by radix selection on their bit patterns
 * (for non-negative IEEE floats the order of the bits is the order of the values). TIES, breadcrumbs and
 * their kin need one threshold per task vector; a full sort of a 10M-entry tensor costs ten times as much.
 */
final class MagnitudeSelect {
    private MagnitudeSelect() {
    }

    /** The value of rank {@code k} (0 = smallest) among {@code values}, which must all be ≥ 0 and not NaN. */
    static float kthSmallest(float[] values, int k) {
        return kthSmallestMagnitude(values, k);
    }

    /**
     * The magnitude of rank {@code k} (0 = smallest) among |{@code values}|, without making the magnitudes:
     * clearing the sign bit of a float's bits gives its magnitude's bits.
     */
    static float kthSmallestMagnitude(float[] values, int k) {
        if (k < 0 || k >= values.length) {
            throw new IllegalArgumentException("rank " + k + " of " + values.length);
        }
        int[] high = new int[1 << 16];
        for (float v : values) {
            high[(Float.floatToRawIntBits(v) & 0x7FFFFFFF) >>> 16]++;
        }
        int bucket = 0;
        int below = 0;
        while (below + high[bucket] <= k) {
            below += high[bucket++];
        }
        int[] low = new int[1 << 16];
        for (float v : values) {
            int bits = Float.floatToRawIntBits(v) & 0x7FFFFFFF;
            if (bits >>> 16 == bucket) {
                low[bits & 0xFFFF]++;
            }
        }
        int rest = k - below;
        int lowBucket = 0;
        while (rest >= low[lowBucket]) {
            rest -= low[lowBucket++];
        }
        return Float.intBitsToFloat(bucket << 16 | lowBucket);
    }
}
