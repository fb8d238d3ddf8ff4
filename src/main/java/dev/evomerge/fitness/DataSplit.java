package dev.evomerge.fitness;

import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which part of a data set a task reads. The rows are shuffled with the task's {@code split_seed} and cut
 * 60 / 20 / 20: {@code train} (for training models), {@code validation} (what a search selects on) and
 * {@code test} (held out: what is reported); the three are disjoint and together are {@code all}. The
 * test part is the last fifth of the shuffle, the same rows as the 80/20 split's test part.
 */
public enum DataSplit {
    TRAIN, VALIDATION, TEST, ALL;

    private static final double TRAIN_END = 0.6;
    private static final double VALIDATION_END = 0.8;

    public static DataSplit named(String name) {
        for (DataSplit s : values()) {
            if (s.label().equals(name)) {
                return s;
            }
        }
        throw new EvomergeException("split must be train, validation, test or all, got '" + name + "'"
                + DidYouMean.suggest(name, Arrays.stream(values()).map(DataSplit::label).toList()));
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The rows of a data set of {@code size} rows in this part, in shuffled order ({@code all}: file order). */
    public int[] select(int size, long seed) {
        if (this == ALL) {
            return java.util.stream.IntStream.range(0, size).toArray();
        }
        int[] order = shuffled(size, seed);
        int trainEnd = (int) Math.round(TRAIN_END * size);
        int validationEnd = (int) Math.round(VALIDATION_END * size);
        return switch (this) {
            case TRAIN -> Arrays.copyOfRange(order, 0, trainEnd);
            case VALIDATION -> Arrays.copyOfRange(order, trainEnd, validationEnd);
            case TEST -> Arrays.copyOfRange(order, validationEnd, size);
            case ALL -> throw new AssertionError();
        };
    }

    /** A seeded Fisher–Yates shuffle of 0 … size−1 (the same as {@link LabelledData#split}'s). */
    static int[] shuffled(int size, long seed) {
        int[] order = java.util.stream.IntStream.range(0, size).toArray();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The splits a task may name, for messages. */
    static List<String> labels() {
        return Arrays.stream(values()).map(DataSplit::label).toList();
    }
}
