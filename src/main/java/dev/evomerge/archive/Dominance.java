package dev.evomerge.archive;

/** Pareto dominance between objective vectors that are all maximized. */
public final class Dominance {
    private Dominance() {
    }

    /** True when {@code a} is at least as good as {@code b} everywhere and better somewhere. */
    public static boolean dominates(double[] a, double[] b) {
        boolean better = false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] < b[i]) {
                return false;
            }
            better |= a[i] > b[i];
        }
        return better;
    }
}
