package dev.evomerge.cluster;

import dev.evomerge.experiment.RunDirectory;
import dev.evomerge.experiment.UntimedRunFiles;
import static dev.evomerge.cluster.ClusterEvaluatorsTest.loopback;
import static dev.evomerge.cluster.WorkerProcess.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.experiment.Budget;
import dev.evomerge.experiment.DigitsHalves;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.Runner;
import dev.evomerge.fitness.MlpClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge search through the Runner with two worker processes on loopback: one SIGKILLed in the middle of its
 * first candidate, the driver stopped and resumed; the run ends with the single-process run's files.
 */
class ClusterRunTest {
    /** Set by the build (pom.xml) for the tests; drivers and workers read secrets from the environment only. */
    private static final String SECRET_ENV = "EVOMERGE_TEST_SECRET";

    @TempDir
    Path dir;

    private String experiment() throws IOException {
        DigitsHalves.write(dir, MlpClassifier.of(64, 64, 10), 10);
        // two searched parameters, two tasks, racing: the screen travels to the workers too
        return """
                name: halves-cluster
                seed: 4
                problem:
                  base: %1$s/models/init
                  models: [%1$s/models/low, %1$s/models/high]
                  genome: {space: ps, method: ties, groups: 1, search: {weight: [0.0, 2.0], density: [0.2, 1.0]}}
                  tasks: {low: %1$s/tasks/low.yaml, high: %1$s/tasks/high.yaml}
                  objectives: [{name: acc_low, task: low}, {name: acc_high, task: high}]
                strategy: {name: nsga2, population: 6}
                budget: {generations: 6}
                racing: {fraction: 0.3, margin: 0.0}
                """.formatted(dir.toAbsolutePath());
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aWorkerKilledMidCandidateAndADriverResumedGiveTheSingleProcessRun() throws Exception {
        long t0 = System.nanoTime();
        int driverPort = freePort();
        int portA = freePort();
        int portB = freePort();
        Path run = dir.resolve("cluster");
        Path single = dir.resolve("single");
        // the workers start (a JVM, Hazelcast) while the models are trained and the single-process run is made
        try (WorkerProcess a = WorkerProcess.start("worker A", portA, List.of(loopback(driverPort), loopback(portB)), SECRET_ENV);
             WorkerProcess b = WorkerProcess.start("worker B", portB, List.of(loopback(driverPort), loopback(portA)), SECRET_ENV)) {
            String yaml = experiment();
            try (Runner runner = Runner.start(ExperimentConfig.parse(yaml, "single"), single)) {
                runner.run(false);
            }
            System.out.printf("ClusterRunTest: models and single-process run after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            ExperimentConfig clustered = ExperimentConfig.parse(yaml + """
                    workers: {cluster: {members: ["127.0.0.1:%d", "127.0.0.1:%d"], interface: 127.0.0.1, port: %d, secret_env: %s}}
                    """.formatted(portA, portB, driverPort, SECRET_ENV), "clustered");
            a.await(WorkerProcess.READY, 120, "ready line");
            b.await(WorkerProcess.READY, 120, "ready line");
            System.out.printf("ClusterRunTest: workers ready after %.1f s%n", (System.nanoTime() - t0) / 1e9);

            // the first three generations; A is killed while it opens the problem for its first candidate
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
                try (Runner runner = Runner.start(clustered.withBudget(new Budget(3L, null, null)), run)) {
                    runner.run(false);
                }
            });
            // a candidate's id is SESSION/NUMBER.ATTEMPT: the same number comes back on the other worker
            String taken = a.await(WorkerProcess.CANDIDATE, 120, "candidate").replaceAll(".*candidate (\\S+)\\.1 from.*", "$1");
            long killed = System.nanoTime();
            a.kill();
            b.await(l -> l.contains("candidate " + taken + ".2 "), 120, "the killed worker's candidate " + taken);
            System.out.printf("ClusterRunTest: candidate %s of the killed worker started again on B %.0f ms after the SIGKILL (B may have been busy)%n",
                    taken, (System.nanoTime() - killed) / 1e6);
            first.get(120, TimeUnit.SECONDS);
            System.out.printf("ClusterRunTest: first driver done after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertFalse(a.alive());

            // the driver stopped and resumed: it joins the running worker again, which keeps its problem open
            long openedBefore = b.count(l -> l.contains("opening experiment"));
            try (Runner runner = Runner.resume(run, new Budget(6L, null, null))) {
                runner.run(false);
            }
            System.out.printf("ClusterRunTest: resumed driver done after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertEquals(1, openedBefore, "B opened the problem once");
            assertEquals(openedBefore, b.count(l -> l.contains("opening experiment")), "and kept it for the resumed driver");
            long fresh = Files.readAllLines(run.resolve(RunDirectory.LOG)).stream().filter(l -> l.contains("\"cached\":false")).count();
            assertEquals(fresh, b.count(WorkerProcess.CANDIDATE), "B evaluated every candidate once, the killed worker's included");
        }
        UntimedRunFiles.assertSameRun(single, run, "cluster run");
        assertTrue(Files.readAllLines(run.resolve(RunDirectory.LOG)).size() >= 18, "a real run");
    }

}
