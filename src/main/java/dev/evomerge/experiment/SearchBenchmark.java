package dev.evomerge.experiment;

import dev.evomerge.genome.Genome;
import dev.evomerge.search.Outcome;
import dev.evomerge.search.Strategies;
import dev.evomerge.search.Strategy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code bench search}: what the loop itself costs per evaluation, with an objective that costs nothing
 * (the 20-dimensional sphere): the strategy's ask and tell alone, then the whole Runner (cache, archive,
 * log written and fsynced, checkpoint after every generation), in the same run.
 */
public final class SearchBenchmark {
    private SearchBenchmark() {
    }

    public record Row(String strategy, long evaluations, double askTellMicros, double runnerMicros) {
    }

    public static List<Row> measure(Path dir, int generations) {
        return Strategies.NAMES.stream().map(name -> row(dir, name, generations)).toList();
    }

    private static Row row(Path dir, String name, int generations) {
        String yaml = """
                name: bench-%s
                seed: 1
                problem: {benchmark: sphere, dimension: 20}
                strategy: {name: %s, population: 20}
                budget: {generations: %d}
                """.formatted(name, name, generations);
        ExperimentConfig config = ExperimentConfig.parse(yaml, "bench");
        // warm-up, then the strategy alone
        askTell(config, generations / 4);
        long t0 = System.nanoTime();
        long count = askTell(config, generations);
        long t1 = System.nanoTime();
        Runner.Summary summary;
        try (Runner runner = Runner.start(config, dir.resolve(name))) {
            summary = runner.run(false);
        }
        long t2 = System.nanoTime();
        return new Row(name, summary.evaluations(), (t1 - t0) / 1e3 / count, (t2 - t1) / 1e3 / Math.max(1, summary.evaluations()));
    }

    private static long askTell(ExperimentConfig config, int generations) {
        try (Problem problem = config.problem().open(config.device())) {
            Strategy s = Strategies.create(config.strategy(), config.hyperparameters(), problem.bounds(), problem.objectives().size());
            long count = 0;
            for (int g = 0; g < generations; g++) {
                List<Genome> asked = s.ask(new SplittableRandom(Runner.stepSeed(1, g)));
                List<Evaluation> results = problem.evaluate(asked);
                s.tell(asked, results.stream().map(e -> Outcome.of(-e.objectives()[0])).toList());
                count += asked.size();
            }
            return count;
        }
    }

    public static void report(List<Row> rows, PrintWriter out) {
        out.println("bench search: the loop's own cost per evaluation, objective free (sphere, n = 20, population 20)");
        out.printf("  %-8s %12s %16s %22s %14s%n", "strategy", "evaluations", "ask+tell µs/eval", "whole runner µs/eval", "vs 100 ms eval");
        for (Row r : rows) {
            out.printf("  %-8s %12d %16.1f %22.1f %13.3f%%%n", r.strategy, r.evaluations, r.askTellMicros, r.runnerMicros,
                    r.runnerMicros / 100_000 * 100);
        }
        out.println("  (whole runner = ask + tell + cache + archive + hypervolume + evaluations.jsonl fsync + checkpoint per generation)");
    }
}
