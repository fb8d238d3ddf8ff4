package dev.evomerge.report;

import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.Checkpoint;
import dev.evomerge.experiment.RunResults;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * {@code plot}: every chart of one run, or the comparison charts of several (same objectives), as PNG and
 * SVG files: {@code pareto} (or {@code pareto-X-Y} per pair of three or more objectives), {@code hypervolume},
 * {@code best-OBJECTIVE}, and for one run {@code genome}.
 */
public final class RunPlots {
    private RunPlots() {
    }

    /** A chart before rendering, with the file name it is written under and what it shows. */
    public record NamedChart(String name, String title, Chart<?, ?> chart) {
    }

    /** A chart as written: its name, what it shows and its PNG bytes. */
    public record Rendered(String name, String title, byte[] png) {
    }

    /** The pick whose genome is drawn: the front point best for equal weights on every objective. */
    static String balancedPick(List<dev.evomerge.experiment.Objective> objectives) {
        return objectives.size() == 1 ? "best" : "weights:" + String.join(",", Collections.nCopies(objectives.size(), "1"));
    }

    /**
     * The runs' histories to their last checkpoints, with one reference point for all their hypervolumes
     * (see {@link RunHistory#commonReferencePoint}). Runs compared must share their objectives.
     */
    public static List<RunHistory> histories(List<RunResults> runs) {
        RunResults first = runs.getFirst();
        for (RunResults r : runs) {
            if (!r.objectives().equals(first.objectives())) {
                throw new EvomergeException("runs compared must have the same objectives: " + first.runDir() + " has "
                        + first.objectives() + ", " + r.runDir() + " has " + r.objectives());
            }
        }
        double[] reference = RunHistory.commonReferencePoint(runs);
        List<RunHistory> out = new ArrayList<>();
        for (RunResults r : runs) {
            RunHistory h = RunHistory.of(r, reference);
            h.read(Checkpoint.read(r.runDir()).logBytes());
            out.add(h);
        }
        return out;
    }

    /** The charts of the runs, built but not rendered. */
    public static List<NamedChart> charts(List<RunHistory> runs) {
        RunHistory first = runs.getFirst();
        var objectives = first.objectives();
        int m = objectives.size();
        List<NamedChart> charts = new ArrayList<>();
        for (int x = 0; x < Math.max(1, m - 1); x++) {
            for (int y = x + 1; y < Math.max(2, m); y++) {
                int yy = Math.min(y, m - 1);
                String name = m <= 2 ? "pareto" : "pareto-" + objectives.get(x).name() + "-" + objectives.get(yy).name();
                String title = m == 1 ? objectives.getFirst().name() + " per evaluation"
                        : "Pareto front" + (m <= 2 ? "" : ": " + objectives.get(x).name() + " × " + objectives.get(yy).name());
                charts.add(new NamedChart(name, title, Charts.pareto(runs, x, yy)));
            }
        }
        charts.add(new NamedChart("hypervolume", "Hypervolume against evaluations", Charts.hypervolume(runs)));
        for (int i = 0; i < m; i++) {
            charts.add(new NamedChart("best-" + objectives.get(i).name(), "Best so far: " + objectives.get(i).name(), Charts.bestSoFar(runs, i)));
        }
        if (runs.size() == 1 && !first.front().isEmpty()) {
            charts.add(new NamedChart("genome", "Genome of the balanced front point",
                    Charts.genome(first.run(), first.pick(balancedPick(objectives)))));
        }
        return charts;
    }

    /** Renders the charts into {@code out} (PNG and SVG). */
    public static List<Rendered> render(List<NamedChart> charts, Path out) {
        return charts.stream().map(c -> new Rendered(c.name(), c.title(), ChartFiles.write(c.chart(), out, c.name()))).toList();
    }

    /** Every chart of the runs into {@code out}; returns the names written. */
    public static List<String> write(List<RunResults> runs, Path out) {
        return render(charts(histories(runs)), out).stream().map(Rendered::name).toList();
    }
}
