package dev.evomerge.experiment;

import dev.evomerge.cluster.MemberAddress;
import dev.evomerge.cluster.WorkerProcess;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code bench workers}: candidates per second of one search evaluated by 1, 2 and 4 local evaluators, on a
 * merge problem whose evaluation is mostly compute (three wide MLPs, TIES, every digit of the validation
 * split scored by a forward pass), against the ideal (one evaluator's rate times the evaluators, capped at
 * the machine's cores). Each run's evaluations are compared with the one-evaluator run's, timings aside.
 * With a cluster secret, also two worker processes on loopback, and a failover: one of them SIGKILLed in the
 * middle of a candidate, and how long until that candidate starts again on the other.
 */
public final class WorkersBenchmark {
    private WorkersBenchmark() {
    }

    public record Row(String label, int evaluators, long evaluations, double seconds, boolean sameEvaluations) {
        double rate() {
            return evaluations / seconds;
        }
    }

    /**
     * A worker SIGKILLed while it evaluated a candidate: the seconds until the same candidate started on the other
     * worker (which finishes the one it has first), and whether the run still logged what one evaluator does.
     */
    public record Failover(double seconds, boolean sameEvaluations) {
    }

    public record Result(List<Row> rows, Failover failover) {
    }

    /** Runs the local pools, then (with {@code secretEnv} not null) two cluster workers and a failover. */
    public static Result measure(Path dir, int hidden, long evaluations, List<Integer> pools, String secretEnv)
            throws IOException, InterruptedException {
        ExperimentConfig config = experiment(dir, hidden, evaluations);
        List<Row> rows = new ArrayList<>();
        String first = null;
        for (int n : pools) {
            Path run = dir.resolve("run-" + n);
            Row row = timed(config.withWorkers(new Workers(n, List.of())), run, n + " local", n, first);
            first = first == null ? log(run) : first;
            rows.add(row);
        }
        if (secretEnv == null) {
            return new Result(rows, null);
        }
        int driver = WorkerProcess.freePort();
        int portA = WorkerProcess.freePort();
        int portB = WorkerProcess.freePort();
        MemberAddress a = new MemberAddress("127.0.0.1", portA);
        MemberAddress b = new MemberAddress("127.0.0.1", portB);
        MemberAddress d = new MemberAddress("127.0.0.1", driver);
        ExperimentConfig clustered = config.withWorkers(new Workers(1, List.of(), new ClusterSettings(List.of(a, b), "127.0.0.1", driver, secretEnv)));
        try (WorkerProcess workerA = WorkerProcess.start("worker A", portA, List.of(d, b), secretEnv);
             WorkerProcess workerB = WorkerProcess.start("worker B", portB, List.of(d, a), secretEnv)) {
            workerA.await(WorkerProcess.READY, 300, "ready line");
            workerB.await(WorkerProcess.READY, 300, "ready line");
            // one generation first, untimed: the workers open the problem, as the local pools did before their timed runs
            try (Runner warm = Runner.start(clustered.withBudget(new Budget(1L, null, null)), dir.resolve("run-cluster-warm"))) {
                warm.run(false);
            }
            rows.add(timed(clustered, dir.resolve("run-cluster"), "2 cluster", 2, first));
            Failover failover = failover(clustered, dir.resolve("run-failover"), workerA, workerB, first);
            return new Result(rows, failover);
        }
    }

    private static Failover failover(ExperimentConfig clustered, Path run, WorkerProcess a, WorkerProcess b, String first)
            throws InterruptedException, IOException {
        long before = a.count(WorkerProcess.CANDIDATE);
        CompletableFuture<Void> search = CompletableFuture.runAsync(() -> {
            try (Runner runner = Runner.start(clustered, run)) {
                runner.run(false);
            }
        });
        // the third candidate A takes in this run: well inside the run, and A is at its start when the line is read
        String line = a.await(WorkerProcess.CANDIDATE, before + 3, 300, "third candidate");
        a.kill();
        long killed = System.nanoTime();
        String taken = line.replaceAll(".*candidate (\\S+)\\.\\d+ from.*", "$1");
        b.await(l -> l.contains("candidate " + taken + "."), 300, "the killed worker's candidate on the other worker");
        double seconds = (System.nanoTime() - killed) / 1e9;
        try {
            search.get(600, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the failover run did not finish: " + e, e);
        }
        return new Failover(seconds, log(run).equals(first));
    }

    private static ExperimentConfig experiment(Path dir, int hidden, long evaluations) throws IOException {
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
        return ExperimentConfig.parse(yaml, "bench workers");
    }

    private static Row timed(ExperimentConfig config, Path run, String label, int evaluators, String first) throws IOException {
        long t0;
        Runner.Summary summary;
        try (Runner runner = Runner.start(config, run)) {
            t0 = System.nanoTime();
            summary = runner.run(false);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Row(label, evaluators, summary.evaluations(), seconds, first == null || log(run).equals(first));
    }

    private static String log(Path run) throws IOException {
        return Files.readString(run.resolve(RunDirectory.LOG)).replaceAll("\"seconds\":[0-9.eE+-]+", "");
    }

    public static void report(Result result, int hidden, PrintWriter out) {
        List<Row> rows = result.rows();
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf("bench workers: NSGA-II over TIES of three MLPs 64-%d-%d-10, each candidate scored on 360 digits; %d cores%n", hidden, hidden, cores);
        out.printf("  %-12s %12s %10s %14s %10s %12s%n", "evaluators", "evaluations", "seconds", "candidates/s", "vs ideal", "same log");
        double one = rows.getFirst().rate();
        for (Row r : rows) {
            double ideal = one * Math.min(r.evaluators(), cores);
            out.printf("  %-12s %12d %10.2f %14.2f %9.0f%% %12s%n", r.label(), r.evaluations(), r.seconds(), r.rate(),
                    100 * r.rate() / ideal, r.sameEvaluations() ? "yes" : "NO");
        }
        out.println("  (ideal: one evaluator's rate × min(evaluators, cores); the run alone is timed, not opening the problems;");
        out.println("   cluster: two worker processes on loopback on this machine, the driver in this one)");
        if (result.failover() != null) {
            out.printf("  failover: a worker SIGKILLed mid-candidate; that candidate started on the other worker %.2f s later "
                    + "(after the candidate it had); same log: %s%n", result.failover().seconds(), result.failover().sameEvaluations() ? "yes" : "NO");
        }
    }
}
