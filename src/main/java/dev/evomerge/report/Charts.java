package dev.evomerge.report;

import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.MergeProblemSpec;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.Problem;
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
 * The charts of a run (or of several runs, to compare strategies or seeds), built from their
 * {@link RunHistory}: the Pareto front, the hypervolume and best so far against evaluations made, and the
 * chosen candidate's genome. Each is an XChart chart, returned unrendered; {@link ChartFiles} writes them.
 */
public final class Charts {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 560;

    private Charts() {
    }

    /**
     * Pareto front, objectives {@code x} and {@code y} (the report draws every pair). One run: every evaluation
     * coloured from early (light) to late (dark) generations, the front as a step line, and the comparison
     * points. Several runs: each run's front as one series, labelled by strategy and seed. One objective:
     * the objective per evaluation and the best so far.
     */
    public static XYChart pareto(List<RunHistory> runs, int x, int y) {
        RunHistory first = runs.getFirst();
        List<Objective> objectives = first.objectives();
        if (objectives.size() == 1) {
            return single(runs);
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Pareto front: " + title(runs))
                .xAxisTitle(label(objectives.get(x))).yAxisTitle(label(objectives.get(y))).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(7);
        if (runs.size() == 1) {
            long generations = Math.max(1, first.generations());
            int buckets = (int) Math.min(5, generations);
            for (int b = 0; b < buckets; b++) {
                long from = generations * b / buckets;
                long to = generations * (b + 1) / buckets;
                double[] xs = first.values(x, from, to);
                if (xs.length == 0) {
                    continue;
                }
                XYSeries s = chart.addSeries("generations " + from + "–" + (to - 1), xs, first.values(y, from, to));
                float shade = 0.8f - 0.6f * b / Math.max(1, buckets - 1);
                s.setMarkerColor(new Color(shade, shade, 1f));
                s.setMarker(SeriesMarkers.CIRCLE);
            }
            List<LoggedEvaluation> front = sortedFront(first, x);
            double[][] step = staircase(front, x, y, objectives.get(x).maximize());
            XYSeries line = chart.addSeries("Pareto front", step[0], step[1]);
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setMarker(SeriesMarkers.NONE);
            line.setLineColor(new Color(200, 30, 30));
            line.setLineStyle(new BasicStroke(2f));
            XYSeries points = chart.addSeries("front points", values(front, x), values(front, y));
            points.setMarkerColor(new Color(200, 30, 30));
            points.setMarker(SeriesMarkers.DIAMOND);
        } else {
            List<String> labels = labels(runs);
            for (int r = 0; r < runs.size(); r++) {
                List<LoggedEvaluation> front = sortedFront(runs.get(r), x);
                if (front.isEmpty()) {
                    continue;
                }
                XYSeries s = chart.addSeries(labels.get(r), values(front, x), values(front, y));
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                s.setMarker(RUN_MARKERS.get(r % RUN_MARKERS.size()));
                s.setLineStyle(new BasicStroke(1.5f));
            }
        }
        List<Problem.Reference> references = sharedReferences(runs);
        Color[] referenceColors = {Color.BLACK, new Color(0, 130, 0), new Color(200, 120, 0), new Color(120, 0, 160), Color.DARK_GRAY};
        var markers = List.of(SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.OVAL);
        for (int i = 0; i < references.size(); i++) {
            double[] o = references.get(i).evaluation().objectives();
            XYSeries r = chart.addSeries(references.get(i).label(), new double[] {o[x]}, new double[] {o[y]});
            r.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            r.setMarker(markers.get(i % markers.size()));
            r.setMarkerColor(referenceColors[i % referenceColors.length]);
        }
        return chart;
    }

    private static final List<org.knowm.xchart.style.markers.Marker> RUN_MARKERS = List.of(SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND,
            SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS);

    private static List<LoggedEvaluation> sortedFront(RunHistory run, int x) {
        List<LoggedEvaluation> front = new ArrayList<>(run.front());
        front.sort(Comparator.comparingDouble(e -> e.evaluation().objectives()[x]));
        return front;
    }

    /** The comparison points, when every run has the same ones (the same problem); else none. */
    private static List<Problem.Reference> sharedReferences(List<RunHistory> runs) {
        List<Problem.Reference> first = runs.getFirst().run().references();
        for (RunHistory r : runs.subList(1, runs.size())) {
            List<Problem.Reference> other = r.run().references();
            boolean same = other.size() == first.size();
            for (int i = 0; same && i < first.size(); i++) {
                same = other.get(i).label().equals(first.get(i).label())
                        && java.util.Arrays.equals(other.get(i).evaluation().objectives(), first.get(i).evaluation().objectives());
            }
            if (!same) {
                return List.of();
            }
        }
        return first;
    }

    /** One objective: one run's every evaluation and best so far; several runs' best so far. */
    private static XYChart single(List<RunHistory> runs) {
        Objective o = runs.getFirst().objectives().getFirst();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(o.name() + " per evaluation: " + title(runs))
                .xAxisTitle("evaluations").yAxisTitle(label(o)).build();
        if (runs.size() == 1) {
            double[] v = runs.getFirst().values(0);
            double[] n = new double[v.length];
            for (int i = 0; i < n.length; i++) {
                n[i] = i + 1;
            }
            XYSeries s = chart.addSeries("evaluations (cached ones included)", n, v);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        List<String> labels = labels(runs);
        for (int r = 0; r < runs.size(); r++) {
            RunHistory.Steps best = extended(runs.get(r).bestSoFar(0), runs.get(r).evaluations());
            XYSeries b = chart.addSeries(runs.size() == 1 ? "best so far" : labels.get(r), best.x(), best.y());
            b.setMarker(SeriesMarkers.NONE);
            b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        }
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

    /**
     * Hypervolume against evaluations made, every run against {@code runs}' one reference point: one step line
     * per run, or per strategy with several seeds, their median and min–max band.
     */
    public static XYChart hypervolume(List<RunHistory> runs) {
        double[] reference = runs.getFirst().referencePoint();
        List<Objective> objectives = runs.getFirst().objectives();
        List<String> point = new ArrayList<>();
        for (int i = 0; i < reference.length; i++) {
            point.add(String.format("%.4g", objectives.get(i).orient(reference[i])));
        }
        return progress(runs, "Hypervolume (reference point " + String.join(", ", point) + ")", "hypervolume", RunHistory::hypervolume);
    }

    /** Best so far of one objective against evaluations made, drawn as {@link #hypervolume} draws. */
    public static XYChart bestSoFar(List<RunHistory> runs, int objective) {
        Objective o = runs.getFirst().objectives().get(objective);
        return progress(runs, "Best " + o.name() + " so far", label(o), r -> r.bestSoFar(objective));
    }

    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
            new Color(148, 103, 189), new Color(255, 127, 14), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127)};

    private static XYChart progress(List<RunHistory> runs, String title, String yTitle,
                                    java.util.function.Function<RunHistory, RunHistory.Steps> measure) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("evaluations").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        List<String> labels = labels(runs);
        // grouped by strategy in the order given (a LinkedHashMap: the order reaches the legend)
        java.util.Map<String, List<Integer>> byStrategy = new java.util.LinkedHashMap<>();
        for (int r = 0; r < runs.size(); r++) {
            byStrategy.computeIfAbsent(runs.get(r).config().strategy(), k -> new ArrayList<>()).add(r);
        }
        int colour = 0;
        for (var group : byStrategy.entrySet()) {
            Color c = PALETTE[colour++ % PALETTE.length];
            List<RunHistory.Steps> steps = new ArrayList<>();
            List<Long> ends = new ArrayList<>();
            for (int r : group.getValue()) {
                steps.add(extended(measure.apply(runs.get(r)), runs.get(r).evaluations()));
                ends.add(runs.get(r).evaluations());
            }
            if (steps.size() == 1) {
                XYSeries s = chart.addSeries(labels.get(group.getValue().getFirst()), steps.getFirst().x(), steps.getFirst().y());
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineColor(c);
                continue;
            }
            Spread spread = Spread.of(steps);
            if (spread.x().length == 0) {
                continue;
            }
            String name = group.getKey() + ", " + steps.size() + " seeds";
            double[][] band = bandPolygon(spread);
            XYSeries area = chart.addSeries(name + ": min–max", band[0], band[1]);
            area.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            area.setMarker(SeriesMarkers.NONE);
            area.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 60));
            area.setLineColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 0));
            XYSeries median = chart.addSeries(name + ": median", spread.x(), spread.median());
            median.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
            median.setMarker(SeriesMarkers.NONE);
            median.setLineColor(c);
            median.setLineStyle(new BasicStroke(2f));
        }
        return chart;
    }

    /**
     * Several runs' step functions on one grid of evaluation counts: every count at which one of them
     * changes, from where all have a value to where the shortest run ends (beyond it the spread would be
     * that of fewer runs).
     */
    record Spread(double[] x, double[] median, double[] min, double[] max) {
        static Spread of(List<RunHistory.Steps> runs) {
            double from = Double.NEGATIVE_INFINITY;
            double to = Double.POSITIVE_INFINITY;
            java.util.TreeSet<Double> grid = new java.util.TreeSet<>();
            for (RunHistory.Steps s : runs) {
                if (s.size() == 0) {
                    return new Spread(new double[0], new double[0], new double[0], new double[0]);
                }
                double[] x = s.x();
                from = Math.max(from, x[0]);
                to = Math.min(to, x[x.length - 1]);
                for (double v : x) {
                    grid.add(v);
                }
            }
            double[] xs = grid.subSet(from, true, to, true).stream().mapToDouble(Double::doubleValue).toArray();
            double[] median = new double[xs.length];
            double[] min = new double[xs.length];
            double[] max = new double[xs.length];
            double[] at = new double[runs.size()];
            for (int i = 0; i < xs.length; i++) {
                for (int r = 0; r < at.length; r++) {
                    at[r] = runs.get(r).at(xs[i]);
                }
                java.util.Arrays.sort(at);
                int n = at.length;
                median[i] = n % 2 == 1 ? at[n / 2] : (at[n / 2 - 1] + at[n / 2]) / 2;
                min[i] = at[0];
                max[i] = at[n - 1];
            }
            return new Spread(xs, median, min, max);
        }
    }

    /** The band between min and max as one closed polygon, stepped like the lines: the max forward, the min back. */
    private static double[][] bandPolygon(Spread s) {
        List<double[]> points = new ArrayList<>();
        double[] x = s.x();
        for (int i = 0; i < x.length; i++) {
            if (i > 0) {
                points.add(new double[] {x[i], s.max()[i - 1]});
            }
            points.add(new double[] {x[i], s.max()[i]});
        }
        for (int i = x.length - 1; i >= 0; i--) {
            points.add(new double[] {x[i], s.min()[i]});
            if (i > 0) {
                points.add(new double[] {x[i], s.min()[i - 1]});
            }
        }
        return new double[][] {points.stream().mapToDouble(p -> p[0]).toArray(), points.stream().mapToDouble(p -> p[1]).toArray()};
    }

    /** The steps carried on to the run's last evaluation, so that a line reaches the end of its run. */
    private static RunHistory.Steps extended(RunHistory.Steps steps, long evaluations) {
        double[] x = steps.x();
        if (x.length == 0 || x[x.length - 1] >= evaluations) {
            return steps;
        }
        double[] ex = java.util.Arrays.copyOf(x, x.length + 1);
        double[] ey = java.util.Arrays.copyOf(steps.y(), x.length + 1);
        ex[x.length] = evaluations;
        ey[x.length] = ey[x.length - 1];
        return new RunHistory.Steps(ex, ey);
    }

    /**
     * Each run's name on a chart: strategy and seed, with the run directory when that is not enough to tell
     * runs apart (XChart needs distinct series names).
     */
    static List<String> labels(List<RunHistory> runs) {
        List<String> plain = runs.stream().map(r -> r.config().strategy() + ", seed " + r.config().seed()).toList();
        List<String> out = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            String label = plain.get(r);
            if (java.util.Collections.frequency(plain, label) > 1) {
                label += " (" + runs.get(r).run().runDir().getFileName() + ")";
            }
            while (out.contains(label)) {
                label += " #" + (r + 1);
            }
            out.add(label);
        }
        return out;
    }

    private static String title(List<RunHistory> runs) {
        List<String> names = runs.stream().map(r -> r.config().name()).distinct().toList();
        return String.join(", ", names);
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

    private static String label(Objective o) {
        return o.name() + (o.maximize() ? " (higher is better)" : " (lower is better)");
    }

    private static double[] values(List<LoggedEvaluation> evaluations, int objective) {
        return evaluations.stream().mapToDouble(e -> e.evaluation().objectives()[objective]).toArray();
    }
}
