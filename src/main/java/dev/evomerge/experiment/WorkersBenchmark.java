package dev.evomerge.experiment;

import dev.evomerge.fitness.DataSplit;
import dev.evomerge.fitness.Digits;
import dev.evomerge.fitness.MlpClassifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code bench workers}: candidates per second of one search evaluated by 1, 2 and 4 local evaluators, on a
 * merge problem whose evaluation is mostly compute (three wide MLPs, TIES, every digit of the validation
 * split scored by a forward pass), against the ideal (one evaluator's rate times the evaluators, capped at
 * the machine's cores). Each run's evaluations are compared with the one-evaluator run's, timings aside.
 */
public final class WorkersBenchmark {
    private WorkersBenchmark() {
    }

    public record Row(int evaluators, long evaluations, double seconds, boolean sameEvaluations) {
        double rate() {
            return evaluations / seconds;
        }
    }

    public static List<Row> measure(Path dir, int hidden, long evaluations, List<Integer> pools) throws IOException {
        MlpClassifier mlp = MlpClassifier.of(Digits.FEATURES, hidden, hidden, 10);
        var train = Digits.part(DataSplit.TRAIN, 0);
        Map<String, float[]> init = mlp.initialize(1, 0.05);
        mlp.write(dir.resolve("init"), init, true);
        mlp.write(dir.resolve("low"), mlp.train(init, train.withLabels(Set.of(0, 1, 2, 3, 4)), 5, 3e-3), true);
        mlp.write(dir.resolve("high"), mlp.train(init, train.withLabels(Set.of(5, 6, 7, 8, 9)), 5, 3e-3), true);
        Files.writeString(dir.resolve("all.yaml"), "kind: classification\ndataset: digits\nsplit: validation\nheldout: none\n");
        String yaml = """
                name: bench-workers
                seed: 1
                problem:
                  base: %1$s/init
                  models: [%1$s/low, %1$s/high]
                  genome: {space: ps, method: ties, groups: 2, search: {weight: [0.0, 1.5], density: [0.2, 1.0]}}
                  tasks: {all: %1$s/all.yaml}
                  objectives: [{name: accuracy, task: all}]
                strategy: {name: nsga2, population: 8}
                budget: {evaluations: %2$d}
                """.formatted(dir.toAbsolutePath(), evaluations);
        ExperimentConfig config = ExperimentConfig.parse(yaml, "bench workers");
        List<Row> rows = new ArrayList<>();
        String first = null;
        for (int n : pools) {
            Path run = dir.resolve("run-" + n);
            long t0;
            Runner.Summary summary;
            try (Runner runner = Runner.start(config.withWorkers(new Workers(n, List.of())), run)) {
                t0 = System.nanoTime();
                summary = runner.run(false);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            String log = Files.readString(run.resolve(RunDirectory.LOG)).replaceAll("\"seconds\":[0-9.eE+-]+", "");
            first = first == null ? log : first;
            rows.add(new Row(n, summary.evaluations(), seconds, log.equals(first)));
        }
        return rows;
    }

    public static void report(List<Row> rows, int hidden, PrintWriter out) {
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf("bench workers: NSGA-II over TIES of three MLPs 64-%d-%d-10, each candidate scored on 360 digits; %d cores%n", hidden, hidden, cores);
        out.printf("  %-10s %12s %10s %14s %10s %12s%n", "evaluators", "evaluations", "seconds", "candidates/s", "vs ideal", "same log");
        double one = rows.getFirst().rate();
        for (Row r : rows) {
            double ideal = one * Math.min(r.evaluators(), cores);
            out.printf("  %-10d %12d %10.2f %14.2f %9.0f%% %12s%n", r.evaluators(), r.evaluations(), r.seconds(), r.rate(),
                    100 * r.rate() / ideal, r.sameEvaluations() ? "yes" : "NO");
        }
        out.println("  (ideal: one evaluator's rate × min(evaluators, cores); the run alone is timed, not opening the problems)");
    }
}
