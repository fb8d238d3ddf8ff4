package dev.evomerge.experiment;

/**
 * One objective of an experiment, with its direction. Strategies and the archive see every objective
 * oriented so that larger is better: {@link #orient} negates a minimized one.
 */
public record Objective(String name, boolean maximize) {
    public Objective {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an objective needs a name");
        }
    }

    public double orient(double value) {
        return maximize ? value : -value;
    }
}
