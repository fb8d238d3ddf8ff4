package dev.evomerge.report;

import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.RunResults;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code plot}: every chart of one run, or the comparison charts of several (same objectives), as PNG and
 * SVG files: {@code pareto}, {@code hypervolume}, {@code best-OBJECTIVE}, {@code genome}.
 */
public final class RunPlots {
    private RunPlots() {
    }

    /** The pick whose genome is drawn: the front point best for equal weights on every objective. */
    static String balancedPick(RunResults run) {
        return run.objectives().size() == 1 ? "best" : "weights:" + String.join(",", java.util.Collections.nCopies(run.objectives().size(), "1"));
    }

    /** Writes the charts into {@code out}; returns the names written. */
    public static List<String> write(List<RunResults> runs, Path out) {
        RunResults first = runs.getFirst();
        List<List<LoggedEvaluation>> evaluations = runs.stream().map(RunResults::evaluations).toList();
        List<String> written = new ArrayList<>();
        int m = first.objectives().size();
        for (int x = 0; x < Math.max(1, m - 1); x++) {
            for (int y = x + 1; y < Math.max(2, m); y++) {
                String name = m <= 2 ? "pareto" : "pareto-" + first.objectives().get(x).name() + "-" + first.objectives().get(y).name();
                ChartFiles.write(Charts.pareto(first, evaluations.getFirst(), x, Math.min(y, m - 1)), out, name);
                written.add(name);
            }
        }
        ChartFiles.write(Charts.hypervolume(runs), out, "hypervolume");
        written.add("hypervolume");
        boolean comparable = runs.stream().allMatch(r -> r.objectives().equals(first.objectives()));
        List<RunResults> compared = comparable ? runs : List.of(first);
        for (int i = 0; i < m; i++) {
            String name = "best-" + first.objectives().get(i).name();
            ChartFiles.write(Charts.bestSoFar(compared, comparable ? evaluations : List.of(evaluations.getFirst()), i), out, name);
            written.add(name);
        }
        ChartFiles.write(Charts.genome(first, first.pick(balancedPick(first))), out, "genome");
        written.add("genome");
        return written;
    }
}
