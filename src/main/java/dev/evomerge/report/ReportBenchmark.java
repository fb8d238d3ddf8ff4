package dev.evomerge.report;

import dev.evomerge.experiment.RunDirectory;
import dev.evomerge.experiment.Budget;
import dev.evomerge.experiment.Checkpoint;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.experiment.Runner;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bench report}: what keeping a long run's plots and report fresh costs. A real NSGA-II run of
 * {@code evaluations} evaluations on ZDT1 (two objectives) and on DTLZ2 (three) makes a well-formed run
 * directory with realistic fronts; then, in the same process, one redraw from scratch (a new live report:
 * the whole log read) against a redraw after 100 more evaluations (only the new lines read), each also
 * split into reading the log and drawing; and what the search thread spends per redraw signal.
 */
public final class ReportBenchmark {
    private static final int ROUNDS = 3;
    private static final int MORE = 100;

    private ReportBenchmark() {
    }

    /** Milliseconds (medians of {@value #ROUNDS}), and the search thread's microseconds per signal (median, max). */
    public record Row(String problem, int objectives, long evaluations, long lines, double scratchMs, double incrementalMs,
                      double scratchReadMs, double incrementalReadMs, double signalMedianMicros, double signalMaxMicros, int signals) {
    }

    public static List<Row> measure(Path dir, long evaluations) {
        return List.of(row(dir, "zdt1", 30, evaluations), row(dir, "dtlz2", 12, evaluations));
    }

    private static Row row(Path dir, String benchmark, int dimension, long evaluations) {
        ExperimentConfig config = ExperimentConfig.parse("""
                name: bench-report-%s
                seed: 1
                problem: {benchmark: %s, dimension: %d}
                strategy: {name: nsga2, population: %d}
                budget: {evaluations: %d}
                """.formatted(benchmark, benchmark, dimension, MORE, evaluations), "bench");
        Path runDir = dir.resolve(benchmark);
        try (Runner runner = Runner.start(config, runDir)) {
            runner.run(false);
        }
        new LiveReport(runDir, 0).draw();  // warm-up: classes loaded, code compiled
        double[] scratch = new double[ROUNDS];
        double[] scratchRead = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            try (LiveReport fresh = new LiveReport(runDir, 0)) {
                long t0 = System.nanoTime();
                fresh.draw();
                scratch[i] = (System.nanoTime() - t0) / 1e6;
            }
            long t0 = System.nanoTime();
            history(runDir);
            scratchRead[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] incremental = new double[ROUNDS];
        double[] incrementalRead = new double[ROUNDS];
        List<Double> signals = new ArrayList<>();
        try (LiveReport live = new LiveReport(runDir, 0)) {
            live.draw();
            RunHistory kept = history(runDir);
            for (int i = 0; i < ROUNDS; i++) {
                long made = Checkpoint.read(runDir).evaluated();
                // the search goes on 100 evaluations, signalling a live report of its own after every checkpoint
                try (Runner runner = Runner.resume(runDir, new Budget(null, made + MORE, null));
                     LiveReport signalled = new LiveReport(runDir, 0)) {
                    runner.afterCheckpoint(() -> {
                        long t0 = System.nanoTime();
                        signalled.run();
                        signals.add((System.nanoTime() - t0) / 1e3);
                    }).run(false);
                    signalled.finish();
                }
                long t0 = System.nanoTime();
                live.draw();
                incremental[i] = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                kept.read(Checkpoint.read(runDir).logBytes());
                incrementalRead[i] = (System.nanoTime() - t0) / 1e6;
            }
            long lines;
            try (var stream = Files.lines(runDir.resolve(RunDirectory.LOG))) {
                lines = stream.count();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            double[] s = signals.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return new Row(benchmark, kept.objectives().size(), kept.evaluations(), lines, median(scratch), median(incremental),
                    median(scratchRead), median(incrementalRead), median(s), s[s.length - 1], s.length);
        }
    }

    private static RunHistory history(Path runDir) {
        RunResults run = RunResults.read(runDir);
        Checkpoint checkpoint = Checkpoint.read(runDir);
        RunHistory h = RunHistory.of(run, checkpoint.reference());
        h.read(checkpoint.logBytes());
        return h;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    public static void report(List<Row> rows, PrintWriter out) {
        out.printf("%-6s %4s %7s %7s | %10s %10s %7s | %10s %10s %7s | %s%n", "", "obj", "evals", "lines",
                "redraw: scratch", "+" + MORE + " evals", "ratio", "read log: scratch", "+" + MORE, "ratio", "search thread per signal");
        for (Row r : rows) {
            out.printf("%-6s %4d %7d %7d | %13.0f ms %7.0f ms %6.1fx | %14.1f ms %6.1f ms %6.0fx | median %.1f µs, max %.1f µs over %d signals%n",
                    r.problem(), r.objectives(), r.evaluations(), r.lines(), r.scratchMs(), r.incrementalMs(), r.scratchMs() / r.incrementalMs(),
                    r.scratchReadMs(), r.incrementalReadMs(), r.scratchReadMs() / r.incrementalReadMs(),
                    r.signalMedianMicros(), r.signalMaxMicros(), r.signals());
        }
        out.println("(medians of " + ROUNDS + "; a redraw = read the new log lines, build the charts, write PNG + SVG and report.html;"
                + " drawing happens on a background thread, the search thread only signals)");
    }
}
