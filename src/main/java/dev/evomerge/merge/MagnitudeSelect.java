package dev.evomerge.merge;

/**
 * The k-th smallest magnitude of floats in linear time, by radix selection on their bit patterns: with
 * the sign bit cleared, the order of a float's bits is the order of its magnitude. TIES, breadcrumbs and
 * their kin need one or two thresholds per task vector; a full sort of a 10M-entry tensor costs ten times
 * as much.
 *
 * <p>Two counting passes, each of which can be fed a chunk at a time (so a streamed merge never holds a
 * whole task vector): {@link #countHigh} counts the top 16 bits of every magnitude; {@link #locate} finds
 * the bucket holding the wanted rank; {@link #countLow} counts the low 16 bits of the magnitudes in that
 * bucket; {@link #value} reads the answer off both counts.
 *
 * <p>The first pass also counts, per bucket, the magnitudes whose low 16 bits are all zero: the bucket's
 * smallest value. When the wanted rank falls among those, that value is the answer and the second pass is
 * skipped. This is the common case for task vectors of bf16 models: an entry is a difference of two bf16
 * weights, which mostly needs no more significant bits than a bf16 (the top 16 bits of an f32) holds.
 */
final class MagnitudeSelect {
    /** Buckets: one per value of a magnitude's top 16 bits, of which the first (the sign) is always clear. */
    static final int BUCKETS = 1 << 15;
    /** Second-pass counters: one per value of the low 16 bits. */
    static final int LOW_VALUES = 1 << 16;
    /** First-pass counters: per bucket, interleaved, its count and how many of its magnitudes are its smallest value. */
    static final int COUNTERS = 2 * BUCKETS;

    private MagnitudeSelect() {
    }

    /**
     * Where a rank falls after the first pass: its top-16-bit bucket, its rank among that bucket's entries,
     * and how many of those are the bucket's smallest value (low 16 bits zero).
     */
    record Bucket(int bucket, long rankInBucket, long atSmallest) {
        /** Whether the rank's value is the bucket's smallest, known without a second pass. */
        boolean settled() {
            return rankInBucket < atSmallest;
        }

        /** The bucket's smallest value. */
        float smallest() {
            return Float.intBitsToFloat(bucket << 16);
        }
    }

    /** Adds |values[from…from+len)| to first-pass {@code counters} ({@link #COUNTERS} of them). */
    static void countHigh(float[] values, int from, int len, int[] counters) {
        // a scatter: no loop shape vectorizes it, so read the bits in place; both counters of a bucket share a cache line
        for (int i = from; i < from + len; i++) {
            int magnitude = Float.floatToRawIntBits(values[i]) & 0x7FFFFFFF;
            int at = 2 * (magnitude >>> 16);
            counters[at]++;
            counters[at + 1] += ((magnitude & 0xFFFF) - 1) >>> 31; // 1 where the low bits are all zero
        }
    }

    /** The bucket of rank {@code k} (0 = smallest) from {@link #countHigh}'s counters. */
    static Bucket locate(int[] counters, long k) {
        int bucket = 0;
        long below = 0;
        while (below + counters[2 * bucket] <= k) {
            below += counters[2 * bucket++];
        }
        return new Bucket(bucket, k - below, counters[2 * bucket + 1]);
    }

    /** Adds the low 16 bits of those |values[from…from+len)| in {@code bucket} to {@code counts}. */
    static void countLow(float[] values, int from, int len, int bucket, int[] counts) {
        for (int i = from; i < from + len; i++) {
            int magnitude = Float.floatToRawIntBits(values[i]) & 0x7FFFFFFF;
            if (magnitude >>> 16 == bucket) { // rare: one bucket of thousands, so the branch predicts well
                counts[magnitude & 0xFFFF]++;
            }
        }
    }

    /** The magnitude of the located rank, from {@link #countLow}'s counts of its bucket. */
    static float value(Bucket located, int[] lowCounts) {
        long rest = located.rankInBucket();
        int low = 0;
        while (rest >= lowCounts[low]) {
            rest -= lowCounts[low++];
        }
        return Float.intBitsToFloat(located.bucket() << 16 | low);
    }

    /** The value of rank {@code k} (0 = smallest) among {@code values}, which must all be ≥ 0 and not NaN. */
    static float kthSmallest(float[] values, int k) {
        return kthSmallestMagnitude(values, k);
    }

    /** The magnitude of rank {@code k} (0 = smallest) among |{@code values}|, both passes over the whole array. */
    static float kthSmallestMagnitude(float[] values, int k) {
        if (k < 0 || k >= values.length) {
            throw new IllegalArgumentException("rank " + k + " of " + values.length);
        }
        int[] high = new int[COUNTERS];
        countHigh(values, 0, values.length, high);
        Bucket located = locate(high, k);
        if (located.settled()) {
            return located.smallest();
        }
        int[] low = new int[LOW_VALUES];
        countLow(values, 0, values.length, located.bucket(), low);
        return value(located, low);
    }
}
