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
 */
final class MagnitudeSelect {
    /** Counts per 16-bit bucket. */
    static final int BUCKETS = 1 << 16;

    private MagnitudeSelect() {
    }

    /** Where a rank falls after the first pass: its top-16-bit bucket, and its rank among that bucket's entries. */
    record Bucket(int bucket, long rankInBucket) {
    }

    /** Adds the top 16 bits of |values[from…from+len)| to {@code counts}. */
    static void countHigh(float[] values, int from, int len, int[] counts) {
        // a scatter: no loop shape vectorizes it, so read the bits in place
        for (int i = from; i < from + len; i++) {
            counts[(Float.floatToRawIntBits(values[i]) & 0x7FFFFFFF) >>> 16]++;
        }
    }

    /** The bucket of rank {@code k} (0 = smallest) from {@link #countHigh}'s counts. */
    static Bucket locate(int[] counts, long k) {
        int bucket = 0;
        long below = 0;
        while (below + counts[bucket] <= k) {
            below += counts[bucket++];
        }
        return new Bucket(bucket, k - below);
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
        int[] high = new int[BUCKETS];
        countHigh(values, 0, values.length, high);
        Bucket located = locate(high, k);
        int[] low = new int[BUCKETS];
        countLow(values, 0, values.length, located.bucket(), low);
        return value(located, low);
    }
}
