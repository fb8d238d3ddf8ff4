package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.cli.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static String experiment(String strategy, String budget) {
        return """
                name: test
                seed: 3
                problem: {benchmark: zdt1, dimension: 12}
                strategy: {name: %s, population: 16}
                budget: %s
                """.formatted(strategy, budget);
    }

    private Path file(String yaml) throws IOException {
        Path f = dir.resolve("experiment-" + Math.abs(yaml.hashCode()) + ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private static Runner.Summary runToEnd(ExperimentConfig config, Path out) {
        try (Runner runner = Runner.start(config, out)) {
            return runner.run(false);
        }
    }

    /** The log without timings, which differ from run to run. */
    private static List<String> evaluations(Path runDir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(RunDirectory.LOG))) {
            ObjectNode node = (ObjectNode) JSON.readTree(line);
            node.remove("seconds");
            out.add(node.toString());
        }
        return out;
    }

    private static String front(Path runDir) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(runDir.resolve(RunDirectory.PARETO).toFile());
        root.get("front").forEach(e -> ((ObjectNode) e).remove("seconds"));
        return root.toString();
    }

    @Test
    void sameSeedSameEvaluationsForEveryStrategy() throws IOException {
        for (String strategy : List.of("random", "ga", "nsga2", "cmaes")) {
            ExperimentConfig config = ExperimentConfig.parse(experiment(strategy, "{generations: 6}"), "x");
            runToEnd(config, dir.resolve(strategy + "-a"));
            runToEnd(config, dir.resolve(strategy + "-b"));
            assertEquals(evaluations(dir.resolve(strategy + "-a")), evaluations(dir.resolve(strategy + "-b")), strategy);
            assertEquals(front(dir.resolve(strategy + "-a")), front(dir.resolve(strategy + "-b")), strategy);
            runToEnd(config.withSeed(4), dir.resolve(strategy + "-c"));
            assertTrue(!evaluations(dir.resolve(strategy + "-a")).equals(evaluations(dir.resolve(strategy + "-c"))), strategy + ": another seed");
        }
    }

    @Test
    void resumeWithALargerBudgetEqualsOneLongerRun() throws IOException {
        ExperimentConfig shortRun = ExperimentConfig.parse(experiment("nsga2", "{generations: 5}"), "x");
        runToEnd(shortRun, dir.resolve("resumed"));
        try (Runner runner = Runner.resume(dir.resolve("resumed"), shortRun.budget().with(12L, null, null))) {
            Runner.Summary s = runner.run(false);
            assertEquals(12, s.generations());
        }
        runToEnd(ExperimentConfig.parse(experiment("nsga2", "{generations: 12}"), "x"), dir.resolve("straight"));
        assertEquals(evaluations(dir.resolve("straight")), evaluations(dir.resolve("resumed")));
        assertEquals(front(dir.resolve("straight")), front(dir.resolve("resumed")));
    }

    @Test
    void budgetsStopAtGenerationsEvaluationsOrTime() {
        Runner.Summary byEvaluations = runToEnd(ExperimentConfig.parse(experiment("random", "{evaluations: 50}"), "x"), dir.resolve("e"));
        assertEquals(64, byEvaluations.evaluations(), "4 whole generations of 16: a generation is never cut");
        Runner.Summary byTime = runToEnd(ExperimentConfig.parse(experiment("random", "{time: 0.3s}"), "x"), dir.resolve("t"));
        assertTrue(byTime.seconds() >= 0.3 && byTime.generations() > 0, byTime.toString());
    }

    @Test
    void resumeAfterKillGivesSameEvaluationsAndArchive() throws Exception {
        String yaml = """
                name: killed
                seed: 11
                problem: {benchmark: zdt1, dimension: 20}
                strategy: {name: nsga2, population: 30}
                budget: {generations: 160}
                """;
        Path experiment = file(yaml);
        runToEnd(ExperimentConfig.read(experiment), dir.resolve("reference"));
        List<String> expected = evaluations(dir.resolve("reference"));
        String expectedFront = front(dir.resolve("reference"));
        Random random = new Random(7);
        for (int attempt = 0; attempt < 3; attempt++) {
            Path run = dir.resolve("killed-" + attempt);
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                    "dev.evomerge.cli.Main", "run", experiment.toString(), "--out", run.toString(), "--no-progress")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("child-" + attempt + ".log").toFile()).start();
            // wait until the run is under way, then SIGKILL it at a random moment
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(run.resolve(RunDirectory.LOG)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(50 + random.nextInt(700));
            child.destroyForcibly().waitFor();
            long lines = Files.readAllLines(run.resolve(RunDirectory.LOG)).size();
            assertTrue(lines < expected.size(), "killed before the end (attempt " + attempt + ", " + lines + " lines)");
            assertEquals(0, Main.execute("resume", run.toString(), "--no-progress"));
            assertEquals(expected, evaluations(run), "attempt " + attempt);
            assertEquals(expectedFront, front(run), "attempt " + attempt);
        }
    }

    @Test
    void configErrorsNameTheKeyAndSuggest() {
        String base = experiment("nsga2", "{generations: 5}");
        assertEquals("x: strategy.name: unknown strategy 'nsga' (did you mean 'nsga2'?)",
                assertThrows(EvomergeException.class, () -> ExperimentConfig.parse(base.replace("name: nsga2", "name: nsga"), "x")).getMessage());
        assertEquals("x: budgt: unknown key (did you mean 'budget'?)",
                assertThrows(EvomergeException.class, () -> ExperimentConfig.parse(base.replace("budget:", "budgt:"), "x")).getMessage());
        assertEquals("x: budget.generatons: unknown key (did you mean 'generations'?)",
                assertThrows(EvomergeException.class, () -> ExperimentConfig.parse(base.replace("{generations", "{generatons"), "x")).getMessage());
        assertTrue(assertThrows(EvomergeException.class, () -> ExperimentConfig.parse(base.replace("population: 16", "populaton: 16"), "x"))
                .getMessage().contains("strategy.populaton: unknown hyperparameter of nsga2 (did you mean 'population'?)"));
        assertTrue(assertThrows(EvomergeException.class, () -> ExperimentConfig.parse(base.replace("zdt1", "zdt3"), "x"))
                .getMessage().contains("did you mean 'zdt1'?"));
        assertTrue(assertThrows(EvomergeException.class, () -> ExperimentConfig.parse(base.replace("{generations: 5}", "{time: soon}"), "x"))
                .getMessage().contains("budget.time: bad duration 'soon'"));
        assertTrue(assertThrows(EvomergeException.class, () -> ExperimentConfig.parse("name: [x", "x")).getMessage().contains("not valid YAML"));
    }

    @Test
    void corruptOrMissingCheckpointsAreOneLineErrors() throws IOException {
        runToEnd(ExperimentConfig.parse(experiment("random", "{generations: 2}"), "x"), dir.resolve("run"));
        Files.writeString(dir.resolve("run").resolve(Checkpoint.FILE), "{\"version\": 1, \"strate");
        assertEquals(1, Main.execute("resume", dir.resolve("run").toString(), "--no-progress"));
        assertEquals(1, Main.execute("resume", dir.resolve("nothing").toString(), "--no-progress"));
        assertTrue(assertThrows(EvomergeException.class, () -> Runner.resume(dir.resolve("run"), null)).getMessage().contains("corrupt checkpoint"));
    }
}
