package dev.evomerge.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.experiment.Budget;
import dev.evomerge.experiment.DigitsHalves;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.Runner;
import dev.evomerge.fitness.MlpClassifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
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

    /** A worker in a child JVM, its output collected line by line. */
    private static final class WorkerProcess implements AutoCloseable {
        final String name;
        final Process process;
        final List<String> lines = new ArrayList<>();

        WorkerProcess(String name, int port, int driverPort, int otherWorker) throws IOException {
            this.name = name;
            process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules", "jdk.incubator.vector",
                    "-Devomerge.home=" + Path.of(System.getProperty("evomerge.home", ".")).toAbsolutePath(),
                    "-cp", System.getProperty("java.class.path"), "dev.evomerge.cli.Main", "worker",
                    "--join", "127.0.0.1:" + driverPort + ",127.0.0.1:" + otherWorker, "--port", String.valueOf(port), "--secret-env", SECRET_ENV)
                    .redirectErrorStream(true).start();
            Thread.ofPlatform().daemon().name(name + "-output").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (lines) {
                            lines.add(line);
                            lines.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            });
        }

        /** Waits for a line that {@code matches}; fails with the output so far after {@code seconds}. */
        String await(Predicate<String> matches, long seconds, String what) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            synchronized (lines) {
                while (true) {
                    for (String line : lines) {
                        if (matches.test(line)) {
                            return line;
                        }
                    }
                    long left = end - System.nanoTime();
                    if (left <= 0 || !process.isAlive()) {
                        throw new AssertionError(name + ": no " + what + " within " + seconds + " s; output:\n" + String.join("\n", lines));
                    }
                    lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                }
            }
        }

        long count(Predicate<String> matches) {
            synchronized (lines) {
                return lines.stream().filter(matches).count();
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static final Predicate<String> READY = l -> l.startsWith("evomerge worker at ");
    private static final Predicate<String> CANDIDATE = l -> l.contains("ClusterWorker - candidate ");

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
        int driverPort = ClusterEvaluatorsTest.freePort();
        int portA = ClusterEvaluatorsTest.freePort();
        int portB = ClusterEvaluatorsTest.freePort();
        Path run = dir.resolve("cluster");
        Path single = dir.resolve("single");
        // the workers start (a JVM, Hazelcast) while the models are trained and the single-process run is made
        try (WorkerProcess a = new WorkerProcess("worker A", portA, driverPort, portB);
             WorkerProcess b = new WorkerProcess("worker B", portB, driverPort, portA)) {
            String yaml = experiment();
            try (Runner runner = Runner.start(ExperimentConfig.parse(yaml, "single"), single)) {
                runner.run(false);
            }
            System.out.printf("ClusterRunTest: models and single-process run after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            ExperimentConfig clustered = ExperimentConfig.parse(yaml + """
                    workers: {cluster: {members: ["127.0.0.1:%d", "127.0.0.1:%d"], interface: 127.0.0.1, port: %d, secret_env: %s}}
                    """.formatted(portA, portB, driverPort, SECRET_ENV), "clustered");
            a.await(READY, 120, "ready line");
            b.await(READY, 120, "ready line");
            System.out.printf("ClusterRunTest: workers ready after %.1f s%n", (System.nanoTime() - t0) / 1e9);

            // the first three generations; A is killed while it opens the problem for its first candidate
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
                try (Runner runner = Runner.start(clustered.withBudget(new Budget(3L, null, null)), run)) {
                    runner.run(false);
                }
            });
            // a candidate's id is SESSION/NUMBER.ATTEMPT: the same number comes back on the other worker
            String taken = a.await(CANDIDATE, 120, "candidate").replaceAll(".*candidate (\\S+)\\.1 from.*", "$1");
            long killed = System.nanoTime();
            a.process.destroyForcibly();
            b.await(l -> l.contains("candidate " + taken + ".2 "), 120, "the killed worker's candidate " + taken);
            System.out.printf("ClusterRunTest: candidate %s of the killed worker started again on B %.0f ms after the SIGKILL (B may have been busy)%n",
                    taken, (System.nanoTime() - killed) / 1e6);
            first.get(120, TimeUnit.SECONDS);
            System.out.printf("ClusterRunTest: first driver done after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertFalse(a.process.isAlive());

            // the driver stopped and resumed: it joins the running worker again, which keeps its problem open
            long openedBefore = b.count(l -> l.contains("opening experiment"));
            try (Runner runner = Runner.resume(run, new Budget(6L, null, null))) {
                runner.run(false);
            }
            System.out.printf("ClusterRunTest: resumed driver done after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertEquals(1, openedBefore, "B opened the problem once");
            assertEquals(openedBefore, b.count(l -> l.contains("opening experiment")), "and kept it for the resumed driver");
            long fresh = Files.readAllLines(run.resolve(Runner.LOG)).stream().filter(l -> l.contains("\"cached\":false")).count();
            assertEquals(fresh, b.count(CANDIDATE), "B evaluated every candidate once, the killed worker's included");
        }
        for (String file : List.of(Runner.LOG, Runner.HELDOUT, Runner.PARETO)) {
            assertEquals(withoutSeconds(single.resolve(file)), withoutSeconds(run.resolve(file)), file);
        }
        assertTrue(Files.readAllLines(run.resolve(Runner.LOG)).size() >= 18, "a real run");
    }

    /** A run file's text with timings taken out (the only thing that may differ between equal runs). */
    private static String withoutSeconds(Path file) throws IOException {
        return Files.readString(file).replaceAll("\"seconds\" ?: ?[0-9.eE+-]+,?", "");
    }
}
