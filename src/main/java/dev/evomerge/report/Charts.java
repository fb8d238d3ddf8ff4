package dev.evomerge.report;

import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.MergeProblemSpec;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.RunResults;
import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The charts of a run (or of several runs, to compare strategies or seeds), built from the run directory
 * alone: the Pareto front over every evaluation, the hypervolume and best-so-far per generation, and the
 * chosen candidate's genome. Each is an XChart chart; {@link ChartFiles} writes them.
 */
public final class Charts {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 560;

    private Charts() {
    }

    /**
     * Two objectives: every evaluation coloured from early (light) to late (dark) generations and the front
     * as a step line. One objective: the objective per evaluation and the best so far. More than two: the
     * first two (the report adds the other pairs).
     */
    public static XYChart pareto(RunResults run, List<LoggedEvaluation> all, int x, int y) {
        List<Objective> objectives = run.objectives();
        if (objectives.size() == 1) {
            return single(run, all);
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Pareto front: " + run.config().name())
                .xAxisTitle(label(objectives.get(x))).yAxisTitle(label(objectives.get(y))).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(5);
        long generations = Math.max(1, all.stream().mapToLong(LoggedEvaluation::generation).max().orElse(0) + 1);
        int buckets = (int) Math.min(5, generations);
        for (int b = 0; b < buckets; b++) {
            long from = generations * b / buckets;
            long to = generations * (b + 1) / buckets;
            List<LoggedEvaluation> part = all.stream().filter(e -> e.generation() >= from && e.generation() < to).toList();
            if (part.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries("generations " + from + "–" + (to - 1), values(part, x), values(part, y));
            float shade = 0.8f - 0.6f * b / Math.max(1, buckets - 1);
            s.setMarkerColor(new Color(shade, shade, 1f));
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        List<LoggedEvaluation> front = new ArrayList<>(run.front());
        front.sort(Comparator.comparingDouble(e -> e.evaluation().objectives()[x]));
        double[][] step = staircase(front, x, y, objectives.get(x).maximize());
        XYSeries line = chart.addSeries("Pareto front", step[0], step[1]);
        line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
        line.setLineColor(new Color(200, 30, 30));
        line.setLineStyle(new BasicStroke(2f));
        XYSeries points = chart.addSeries("front points", values(front, x), values(front, y));
        points.setMarkerColor(new Color(200, 30, 30));
        points.setMarker(SeriesMarkers.DIAMOND);
        Color[] referenceColors = {Color.BLACK, new Color(0, 130, 0), new Color(200, 120, 0), new Color(120, 0, 160), Color.DARK_GRAY};
        var markers = List.of(SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.OVAL);
        List<dev.evomerge.experiment.Problem.Reference> references = run.references();
        for (int i = 0; i < references.size(); i++) {
            double[] o = references.get(i).evaluation().objectives();
            XYSeries r = chart.addSeries(references.get(i).label(), new double[] {o[x]}, new double[] {o[y]});
            r.setMarker(markers.get(i % markers.size()));
            r.setMarkerColor(referenceColors[i % referenceColors.length]);
        }
        chart.getStyler().setMarkerSize(7);
        return chart;
    }

    private static XYChart single(RunResults run, List<LoggedEvaluation> all) {
        Objective o = run.objectives().getFirst();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(o.name() + " per evaluation: " + run.config().name())
                .xAxisTitle("evaluation").yAxisTitle(label(o)).build();
        double[] n = all.stream().mapToDouble(LoggedEvaluation::number).toArray();
        double[] v = values(all, 0);
        XYSeries s = chart.addSeries("evaluations", n, v);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.CIRCLE);
        double[] best = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            best[i] = i == 0 ? v[0] : (o.maximize() ? Math.max(best[i - 1], v[i]) : Math.min(best[i - 1], v[i]));
        }
        XYSeries b = chart.addSeries("best so far", n, best);
        b.setMarker(SeriesMarkers.NONE);
        b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        return chart;
    }

    /**
     * The front as the edge of the region it dominates: between neighbours (by x) the corner is at the
     * previous point's x when x is maximized (the later point covers everything left of it), else at the
     * later point's x.
     */
    private static double[][] staircase(List<LoggedEvaluation> sortedByX, int x, int y, boolean xMaximized) {
        List<double[]> corners = new ArrayList<>();
        for (int i = 0; i < sortedByX.size(); i++) {
            double[] o = sortedByX.get(i).evaluation().objectives();
            if (i > 0) {
                double[] prev = sortedByX.get(i - 1).evaluation().objectives();
                corners.add(xMaximized ? new double[] {prev[x], o[y]} : new double[] {o[x], prev[y]});
            }
            corners.add(new double[] {o[x], o[y]});
        }
        return new double[][] {corners.stream().mapToDouble(c -> c[0]).toArray(), corners.stream().mapToDouble(c -> c[1]).toArray()};
    }

    /** Hypervolume per generation, one series per run. */
    public static XYChart hypervolume(List<RunResults> runs) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Hypervolume per generation")
                .xAxisTitle("generation").yAxisTitle("hypervolume").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        for (RunResults run : runs) {
            double[] g = new double[run.hypervolume().size()];
            for (int i = 0; i < g.length; i++) {
                g[i] = i + 1;
            }
            XYSeries s = chart.addSeries(seriesName(run), g, run.hypervolume().stream().mapToDouble(Double::doubleValue).toArray());
            s.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /** Best so far of one objective per generation, one series per run. */
    public static XYChart bestSoFar(List<RunResults> runs, List<List<LoggedEvaluation>> evaluations, int objective) {
        Objective o = runs.getFirst().objectives().get(objective);
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Best " + o.name() + " so far")
                .xAxisTitle("generation").yAxisTitle(label(o)).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        for (int r = 0; r < runs.size(); r++) {
            List<LoggedEvaluation> all = evaluations.get(r);
            int generations = (int) all.stream().mapToLong(LoggedEvaluation::generation).max().orElse(-1) + 1;
            double[] g = new double[generations];
            double[] best = new double[generations];
            double current = o.maximize() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            int k = 0;
            for (int gen = 0; gen < generations; gen++) {
                while (k < all.size() && all.get(k).generation() == gen) {
                    double v = all.get(k++).evaluation().objectives()[objective];
                    current = o.maximize() ? Math.max(current, v) : Math.min(current, v);
                }
                g[gen] = gen + 1;
                best[gen] = current;
            }
            XYSeries s = chart.addSeries(seriesName(runs.get(r)), g, best);
            s.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /**
     * The chosen candidate's genome. A parameter-space genome is a heatmap (rows: parameter × model; columns:
     * layer groups); any other genome, its values by index.
     */
    public static Chart<?, ?> genome(RunResults run, LoggedEvaluation chosen) {
        double[] g = chosen.genome().toArray();
        if (run.config().problem() instanceof MergeProblemSpec spec && !spec.space().equals("ps")) {
            return program(run, chosen, spec);
        }
        if (run.config().problem() instanceof MergeProblemSpec spec) {
            List<String> rows = new ArrayList<>();
            for (String parameter : spec.search().keySet()) {
                boolean perModel = dev.evomerge.merge.MergeMethod.named(spec.method()).tensorParameters().stream()
                        .anyMatch(d -> d.name().equals(parameter));
                if (perModel) {
                    spec.models().forEach(m -> rows.add(parameter + " · " + m.getFileName()));
                } else {
                    rows.add(parameter);
                }
            }
            int groups = spec.groups();
            List<Integer> xs = new ArrayList<>();
            for (int c = 0; c < groups; c++) {
                xs.add(c);
            }
            List<Number[]> cells = new ArrayList<>();
            for (int r = 0; r < rows.size(); r++) {
                for (int c = 0; c < groups; c++) {
                    cells.add(new Number[] {c, r, g[r * groups + c]});
                }
            }
            HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(Math.max(300, 120 + 60 * rows.size()))
                    .title("Genome of evaluation " + chosen.number() + " (layer group →)").xAxisTitle("layer group").build();
            chart.getStyler().setShowValue(true);
            chart.getStyler().setHeatMapValueDecimalPattern("0.000");
            chart.getStyler().setRangeColors(new Color[] {new Color(240, 245, 255), new Color(30, 80, 200)});
            chart.addSeries("genome", xs, rows, cells);
            return chart;
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Genome of evaluation " + chosen.number())
                .xAxisTitle("gene").yAxisTitle("value").build();
        double[] index = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            index[i] = i;
        }
        XYSeries s = chart.addSeries("genome", index, g);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        return chart;
    }

    /** A routed candidate's layer program as a strip: one block per step, in its model's row, labelled with the layer. */
    private static Chart<?, ?> program(RunResults run, LoggedEvaluation chosen, MergeProblemSpec spec) {
        dev.evomerge.merge.LayerProgram program = spec.genomeSpace().decode(chosen.genome()).program();
        List<String> rows = new ArrayList<>();
        if (spec.space().equals("ps+dfs")) {
            rows.add("merge");
        }
        spec.models().forEach(m -> rows.add(m.getFileName().toString()));
        List<Integer> steps = new ArrayList<>();
        List<Number[]> cells = new ArrayList<>();
        for (int k = 0; k < program.length(); k++) {
            steps.add(k);
            var step = program.steps().get(k);
            cells.add(new Number[] {k, step.model(), step.layer()});
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(Math.max(WIDTH, 40 * program.length())).height(160 + 50 * rows.size())
                .title("Layer program of evaluation " + chosen.number() + " (block = layer number; scales in blueprint.yaml)")
                .xAxisTitle("step").build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setHeatMapValueDecimalPattern("0");
        chart.getStyler().setRangeColors(new Color[] {new Color(230, 240, 255), new Color(30, 80, 200)});
        chart.addSeries("program", steps, rows, cells);
        return chart;
    }

    private static String seriesName(RunResults run) {
        return run.config().name() + " (" + run.config().strategy() + ", seed " + run.config().seed() + ") " + run.runDir().getFileName();
    }

    private static String label(Objective o) {
        return o.name() + (o.maximize() ? " (higher is better)" : " (lower is better)");
    }

    private static double[] values(List<LoggedEvaluation> evaluations, int objective) {
        return evaluations.stream().mapToDouble(e -> e.evaluation().objectives()[objective]).toArray();
    }
}
