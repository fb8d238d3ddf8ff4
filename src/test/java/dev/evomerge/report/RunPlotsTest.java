package dev.evomerge.report;

import dev.evomerge.experiment.RunDirectory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.archive.ParetoArchive;
import dev.evomerge.cli.Main;
import dev.evomerge.experiment.Checkpoint;
import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.experiment.Runner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** Three NSGA-II seeds and one random search on ZDT1, plotted together. */
class RunPlotsTest {
    @TempDir
    static Path dir;

    private static final List<Path> RUNS = new ArrayList<>();

    @BeforeAll
    static void runs() {
        for (long seed = 1; seed <= 3; seed++) {
            Path out = dir.resolve("nsga2-" + seed);
            RunHistoryTest.run(RunHistoryTest.config("nsga2", seed, 8, "zdt1"), out);
            RUNS.add(out);
        }
        Path random = dir.resolve("random-1");
        RunHistoryTest.run(RunHistoryTest.config("random", 1, 8, "zdt1"), random);
        RUNS.add(random);
    }

    private static List<RunHistory> histories() {
        return RunPlots.histories(RUNS.stream().map(RunResults::read).toList());
    }

    private static XYChart chart(List<RunPlots.NamedChart> charts, String name) {
        return (XYChart) charts.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().chart();
    }

    /** Hypervolume against {@code reference} after each generation, and evaluations made by then, recomputed from the log. */
    private static double[][] hypervolumeFromLog(Path runDir, double[] reference) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ParetoArchive archive = new ParetoArchive();
        List<double[]> points = new ArrayList<>();
        long made = 0;
        long generation = 0;
        for (String line : Files.readAllLines(runDir.resolve(RunDirectory.LOG))) {
            JsonNode node = json.readTree(line);
            if (node.get("generation").asLong() != generation) {
                points.add(new double[] {made, archive.hypervolume(reference)});
                generation = node.get("generation").asLong();
            }
            made += node.get("cached").asBoolean() ? 0 : 1;
            // both objectives minimized: the archive maximizes
            archive.add(node.get("n").asLong(), new double[] {-node.get("objectives").get("f1").asDouble(), -node.get("objectives").get("f2").asDouble()});
        }
        points.add(new double[] {made, archive.hypervolume(reference)});
        return points.toArray(double[][]::new);
    }

    private static double valueAt(double[][] steps, double evaluations) {
        double v = Double.NaN;
        for (double[] s : steps) {
            if (s[0] <= evaluations) {
                v = s[1];
            }
        }
        return v;
    }

    @Test
    void everyRunHasOneReferencePointNoWorseThanAnyRunsOwn() {
        List<RunHistory> histories = histories();
        double[] common = histories.getFirst().referencePoint();
        boolean belowSomeOwn = false;
        for (int r = 0; r < RUNS.size(); r++) {
            assertArrayEquals(common, histories.get(r).referencePoint());
            double[] own = Checkpoint.read(RUNS.get(r)).reference();
            for (int i = 0; i < own.length; i++) {
                assertTrue(common[i] <= own[i], "the worst of all first generations is at most each run's");
                belowSomeOwn |= common[i] < own[i];
            }
        }
        assertTrue(belowSomeOwn, "not simply one run's own reference point");
    }

    @Test
    void theParetoChartHasEveryRunsFrontLabelledByStrategyAndSeed() {
        XYChart pareto = chart(RunPlots.charts(histories()), "pareto");
        assertEquals(List.of("nsga2, seed 1", "nsga2, seed 2", "nsga2, seed 3", "random, seed 1"), List.copyOf(pareto.getSeriesMap().keySet()));
        for (int r = 0; r < RUNS.size(); r++) {
            XYSeries s = pareto.getSeriesMap().get(List.copyOf(pareto.getSeriesMap().keySet()).get(r));
            double[] f1 = RunResults.read(RUNS.get(r)).front().stream().mapToDouble(e -> e.evaluation().objectives()[0]).sorted().toArray();
            assertArrayEquals(f1, s.getXData(), RUNS.get(r).toString());
        }
    }

    @Test
    void progressIsAgainstEvaluationsWithAMedianAndBandPerStrategy() throws IOException {
        List<RunHistory> histories = histories();
        double[] reference = histories.getFirst().referencePoint();
        List<RunPlots.NamedChart> charts = RunPlots.charts(histories);
        assertEquals(List.of("pareto", "hypervolume", "best-f1", "best-f2"), charts.stream().map(RunPlots.NamedChart::name).toList(),
                "no genome for several runs");
        XYChart hv = chart(charts, "hypervolume");
        assertEquals(List.of("nsga2, 3 seeds: min–max", "nsga2, 3 seeds: median", "random, seed 1"), List.copyOf(hv.getSeriesMap().keySet()));

        // the single random run: a step at each generation's end, x = evaluations made, y = its hypervolume against the common point
        double[][] random = hypervolumeFromLog(RUNS.get(3), reference);
        XYSeries r = hv.getSeriesMap().get("random, seed 1");
        assertArrayEquals(Arrays.stream(random).mapToDouble(p -> p[0]).toArray(), r.getXData());
        assertArrayEquals(Arrays.stream(random).mapToDouble(p -> p[1]).toArray(), r.getYData(), 1e-12);

        // the median of the three NSGA-II seeds at each x, up to where the shortest run ends
        List<double[][]> seeds = new ArrayList<>();
        long shortest = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            seeds.add(hypervolumeFromLog(RUNS.get(i), reference));
            shortest = Math.min(shortest, histories.get(i).evaluations());
        }
        XYSeries median = hv.getSeriesMap().get("nsga2, 3 seeds: median");
        double[] x = median.getXData();
        assertEquals(shortest, x[x.length - 1]);
        for (int k = 0; k < x.length; k++) {
            assertEquals(Math.rint(x[k]), x[k], "x is a count of evaluations");
            double[] at = new double[3];
            for (int i = 0; i < 3; i++) {
                at[i] = valueAt(seeds.get(i), x[k]);
            }
            Arrays.sort(at);
            assertEquals(at[1], median.getYData()[k], 1e-12, "median at " + x[k]);
        }

        // best so far: counts of evaluations up to each run's end, never worse as they go (f1 is minimized)
        XYChart best = chart(charts, "best-f1");
        XYSeries randomBest = best.getSeriesMap().get("random, seed 1");
        double[] bx = randomBest.getXData();
        double[] by = randomBest.getYData();
        assertEquals(histories.get(3).evaluations(), bx[bx.length - 1]);
        double smallest = RunResults.read(RUNS.get(3)).evaluations().stream().mapToDouble(e -> e.evaluation().objectives()[0]).min().orElseThrow();
        assertEquals(smallest, by[by.length - 1]);
        for (int k = 1; k < bx.length; k++) {
            assertTrue(bx[k] > bx[k - 1] && by[k] <= by[k - 1]);
        }
    }

    @Test
    void plotCommandWritesTheComparisonCharts() throws IOException {
        Path out = dir.resolve("compared");
        List<String> args = new ArrayList<>(List.of("plot"));
        RUNS.forEach(p -> args.add(p.toString()));
        args.addAll(List.of("--out", out.toString()));
        assertEquals(0, Main.execute(args.toArray(String[]::new)));
        for (String name : List.of("pareto", "hypervolume", "best-f1", "best-f2")) {
            assertTrue(Files.size(out.resolve(name + ".png")) > 1000, name);
            assertTrue(Files.readString(out.resolve(name + ".svg")).contains("<svg"), name);
        }
        // runs with other objectives are refused with a message, not a trace
        Path three = dir.resolve("dtlz2");
        RunHistoryTest.run(RunHistoryTest.config("nsga2", 1, 2, "dtlz2"), three);
        assertEquals(1, Main.execute("plot", RUNS.getFirst().toString(), three.toString(), "--out", out.toString()));
    }

    @Test
    void oneRunOfThreeObjectivesHasEveryPairAndItsGenome() {
        Path three = dir.resolve("dtlz2-single");
        RunHistoryTest.run(RunHistoryTest.config("nsga2", 2, 3, "dtlz2"), three);
        List<RunPlots.NamedChart> charts = RunPlots.charts(RunPlots.histories(List.of(RunResults.read(three))));
        assertEquals(List.of("pareto-f1-f2", "pareto-f1-f3", "pareto-f2-f3", "hypervolume", "best-f1", "best-f2", "best-f3", "genome"),
                charts.stream().map(RunPlots.NamedChart::name).toList());
        List<LoggedEvaluation> front = RunResults.read(three).front();
        XYSeries points = chart(charts, "pareto-f2-f3").getSeriesMap().get("front points");
        assertArrayEquals(front.stream().mapToDouble(e -> e.evaluation().objectives()[1]).sorted().toArray(), points.getXData());
    }
}
