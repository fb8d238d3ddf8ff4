package dev.evomerge.cluster;

import static dev.evomerge.cluster.WorkerProcess.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.ClusterSettings;
import dev.evomerge.experiment.Evaluation;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.Problem;
import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Driver and workers as Hazelcast members in this JVM, on loopback, on a benchmark problem (nothing to load). */
class ClusterEvaluatorsTest {
    private static final String SECRET = "the-right-secret-0123456789";
    private static final String YAML = """
            name: zdt1-cluster
            seed: 3
            problem: {benchmark: zdt1, dimension: 4}
            strategy: {name: random, population: 6}
            budget: {generations: 1}
            """;

    static MemberAddress loopback(int port) {
        return new MemberAddress("127.0.0.1", port);
    }

    static void await(BooleanSupplier condition, long seconds, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + seconds + " s: " + what);
            }
            Thread.sleep(10);
        }
    }

    private static List<Genome> genomes(int n) {
        SplittableRandom random = new SplittableRandom(5);
        List<Genome> genomes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            genomes.add(Genome.of(random.nextDouble(), random.nextDouble(), random.nextDouble(), random.nextDouble()));
        }
        return genomes;
    }

    /** Each evaluation's objectives, printed exactly (Double.toString round-trips). */
    private static List<String> objectives(List<Evaluation> evaluations) {
        return evaluations.stream().map(e -> java.util.Arrays.toString(e.objectives())).toList();
    }

    @Test
    @Timeout(90)
    void onlyWorkersWithTheSecretGetWorkAndOneJoiningMidRunTakesWhatWaits() throws Exception {
        int driverPort = freePort();
        ExperimentConfig config = ExperimentConfig.parse(YAML, "test");
        List<Objective> objectives = config.problem().open("cpu").objectives();
        List<Genome> genomes = genomes(16);
        List<Evaluation> expected;
        try (Problem problem = config.problem().open("cpu")) {
            expected = problem.evaluate(genomes);
        }
        try (ClusterWorker stranger = ClusterWorker.start(SharedSecret.of("another-secret-0123456789"), null, "127.0.0.1", freePort(),
                List.of(loopback(driverPort)))) {
            ClusterWorker good = ClusterWorker.start(SharedSecret.of(SECRET), null, "127.0.0.1", freePort(), List.of(stranger.address()));
            ClusterSettings settings = new ClusterSettings(List.of(good.address(), stranger.address()), "127.0.0.1", driverPort, "UNUSED");
            try (ClusterEvaluators driver = ClusterEvaluators.start(settings, SharedSecret.of(SECRET), config.toYaml(), objectives)) {
                assertEquals(List.of(good.address()), driver.workers(), "greeted before the first generation");
                assertEquals(List.of(stranger.address()), driver.refused());
                assertEquals(objectives(expected.subList(0, 8)), objectives(driver.submit(genomes.subList(0, 8), null).get(30, TimeUnit.SECONDS)),
                        "the problem's values, in genome order");
                assertEquals(8, good.evaluated(), "every candidate went to the worker with the secret");
                assertEquals(0, stranger.evaluated(), "none to the one without it");
                assertTrue(stranger.refused() >= 1, "the stranger refused the driver's greeting too");

                // the only worker leaves; the next batch waits for one, and a worker that joins mid-run takes all of it
                good.close();
                await(() -> driver.workers().isEmpty(), 20, "the driver sees the worker go");
                CompletableFuture<List<Evaluation>> second = driver.submit(genomes.subList(8, 16), null);
                try (ClusterWorker late = ClusterWorker.start(SharedSecret.of(SECRET), null, "127.0.0.1", freePort(), List.of(loopback(driverPort)))) {
                    assertEquals(objectives(expected.subList(8, 16)), objectives(second.get(30, TimeUnit.SECONDS)));
                    assertEquals(8, late.evaluated());

                    // a driver without the secret: the workers refuse it, and its candidate waits until it gives up
                    CompletableFuture<List<Evaluation>> pending;
                    ClusterSettings other = new ClusterSettings(List.of(late.address()), "127.0.0.1", freePort(), "UNUSED");
                    try (ClusterEvaluators intruder = ClusterEvaluators.start(other, SharedSecret.of("not-the-secret-0123456789"), config.toYaml(),
                            objectives)) {
                        pending = intruder.submit(genomes.subList(0, 1), null);
                        await(() -> intruder.refused().containsAll(List.of(late.address(), stranger.address())), 20,
                                "the intruder's driver refused by both: " + intruder.refused());
                        assertTrue(intruder.workers().isEmpty());
                        assertFalse(pending.isDone(), "no evaluation without a worker that holds the secret");
                    }
                    assertEquals(8, late.evaluated(), "the worker evaluated nothing for the intruder");
                    assertTrue(late.refused() >= 1);
                    ExecutionException closed = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
                    assertTrue(closed.getCause().getMessage().contains("closed"), closed.getCause().toString());

                    // what a worker cannot do (here: read the experiment) fails the batch in one line that names the worker
                    ClusterSettings third = new ClusterSettings(List.of(late.address()), "127.0.0.1", freePort(), "UNUSED");
                    try (ClusterEvaluators broken = ClusterEvaluators.start(third, SharedSecret.of(SECRET), "name: [", objectives)) {
                        ExecutionException failed = assertThrows(ExecutionException.class,
                                () -> broken.submit(genomes.subList(0, 2), null).get(30, TimeUnit.SECONDS));
                        assertEquals(EvomergeException.class, failed.getCause().getClass());
                        assertTrue(failed.getCause().getMessage().startsWith("cluster worker " + late.address() + ": the driver's experiment: not valid YAML"),
                                failed.getCause().getMessage());
                    }
                }
            }
        }
    }
}
