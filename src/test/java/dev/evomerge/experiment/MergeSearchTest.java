package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.LabelledData;
import dev.evomerge.fitness.MlpClassifier;
import dev.evomerge.fitness.TaskSpec;
import dev.evomerge.merge.MergeEngine;
import dev.evomerge.merge.MergeRecipe;
import dev.evomerge.model.ModelCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real merge search end to end: two digit classifiers from one ancestor, merged per layer, two objectives. */
class MergeSearchTest {
    @TempDir
    static Path dir;

    private static final MlpClassifier MLP = MlpClassifier.of(64, 256, 10);

    @BeforeAll
    static void models() throws IOException {
        DigitsHalves.write(dir, MLP, 40);
    }

    private static String experiment(String strategy, String space) {
        return """
                name: halves
                seed: 2
                problem:
                  base: models/init
                  models: [models/low, models/high]
                  genome: {space: %s, method: task_arithmetic, groups: 2, search: {weight: [0.0, 2.0]}}
                  tasks: {low: tasks/low.yaml, high: tasks/high.yaml}
                  objectives: [{name: acc_low, task: low}, {name: acc_high, task: high}]
                strategy: {name: %s, population: 16}
                budget: {generations: 10}
                reference: [0, 0]
                """.formatted(space, strategy);
    }

    private static ExperimentConfig config(String yaml) throws IOException {
        Path file = dir.resolve("experiment.yaml");
        Files.writeString(file, yaml);
        return ExperimentConfig.read(file);
    }

    @Test
    void searchFindsMergesThatTradeOneHalfForTheOtherAndEveryRecipeMergesToTheSameScores() throws IOException {
        Path run = dir.resolve("run");
        Runner.Summary summary;
        try (Runner runner = Runner.start(config(experiment("nsga2", "ps")), run)) {
            summary = runner.run(false);
        }
        assertTrue(summary.frontSize() >= 3, "a front, not a single winner: " + summary);
        JsonNode pareto = new ObjectMapper().readTree(run.resolve(RunDirectory.PARETO).toFile());
        // each source scores about 0.95 on its own half and 0 on the other: a merge must do better on both together
        double bestSum = 0;
        for (JsonNode point : pareto.get("front")) {
            bestSum = Math.max(bestSum, point.get("objectives").get("acc_low").asDouble() + point.get("objectives").get("acc_high").asDouble());
        }
        assertTrue(bestSum > 1.3, "a merge good at both halves: best sum of accuracies " + bestSum);

        // each front point's recipe, merged to disk by the merge command's engine, scores what the search logged
        LabelledData low = TaskSpec.read(dir.resolve("tasks/low.yaml")).rows();
        for (JsonNode point : pareto.get("front")) {
            MergeRecipe recipe = MergeRecipe.parse(point.get("recipe").asText(), "front");
            Path merged = MergeEngine.merge(recipe, dir, dir.resolve("merged-" + point.get("n").asLong()), MergeEngine.Options.defaults(),
                    MergeEngine.Progress.NONE);
            try (ModelCheckpoint ckpt = ModelCheckpoint.open(merged); NDManager m = NDManager.newBaseManager()) {
                Map<String, NDArray> tensors = new HashMap<>();
                for (var t : MLP.tensors()) {
                    tensors.put(t.name(), m.create(ckpt.weights().readFloats(t.name()), new Shape(t.shape())));
                }
                double accuracy = java.util.Arrays.stream(MLP.correct(tensors, m.create(low.inputs(), new Shape(low.size(), 64)),
                        m.create(low.labels()))).average().orElseThrow();
                assertEquals(point.get("objectives").get("acc_low").asDouble(), accuracy, 1e-9, "evaluation " + point.get("n"));
            }
        }
    }

    @Test
    void mergeSearchesResumeToTheSameEvaluations() throws IOException {
        ExperimentConfig config = config(experiment("cmaes", "ps"));
        try (Runner runner = Runner.start(config.withBudget(new Budget(4L, null, null)), dir.resolve("resumed"))) {
            runner.run(false);
        }
        try (Runner runner = Runner.resume(dir.resolve("resumed"), new Budget(10L, null, null))) {
            runner.run(false);
        }
        try (Runner runner = Runner.start(config, dir.resolve("straight"))) {
            runner.run(false);
        }
        assertEquals(UntimedRunFiles.evaluations(dir.resolve("straight")), UntimedRunFiles.evaluations(dir.resolve("resumed")));
    }

    @Test
    void racingFinishesOnlyPromisingCandidatesAndResumesToTheSameChoices() throws IOException {
        String yaml = experiment("nsga2", "ps").replace("reference: [0, 0]", "reference: [0, 0]\nracing: {fraction: 0.2, margin: 0.0}");
        ExperimentConfig config = config(yaml);
        try (Runner runner = Runner.start(config, dir.resolve("raced"))) {
            runner.run(false);
        }
        java.util.List<LoggedEvaluation> all = RunResults.read(dir.resolve("raced")).evaluations();
        java.util.List<LoggedEvaluation> raced = all.stream().filter(LoggedEvaluation::raced).toList();
        assertTrue(!raced.isEmpty() && raced.size() < all.size(), raced.size() + " of " + all.size() + " raced");
        var low = TaskSpec.read(dir.resolve("tasks/low.yaml")).rows();
        int[] sample = config.racing().sample(low.size(), low.labels(), new Problem.Screen(config.racing(), config.seed(), e -> true).sampleSeed(0));
        // a fifth of each label's datapoints, drawn at random: not the file's first fifth
        assertTrue(Math.abs(sample.length - 0.2 * low.size()) <= 5, sample.length + " of " + low.size());
        assertTrue(sample[sample.length - 1] > low.size() / 2, "drawn from the whole task");
        for (int label = 0; label < 5; label++) {
            final int l = label;
            long inLabel = java.util.Arrays.stream(low.labels()).filter(x -> x == l).count();
            long sampled = java.util.Arrays.stream(sample).filter(i -> low.label(i) == l).count();
            assertEquals(Math.round(0.2 * inLabel), sampled, "stratified by label");
        }
        for (LoggedEvaluation e : raced) {
            assertEquals(sample.length, e.evaluation().scores().get("low").length, "a raced candidate saw its sample");
        }
        // a finished candidate's datapoint scores are those of a plain evaluation (0/1 scores: the same forward pass per row)
        LoggedEvaluation finished = all.stream().filter(e -> !e.raced() && e.generation() > 2).findFirst().orElseThrow();
        try (Problem problem = config.problem().open("cpu")) {
            Evaluation plain = problem.evaluate(java.util.List.of(finished.genome())).getFirst();
            assertArrayEquals(plain.scores().get("low"), finished.evaluation().scores().get("low"));
            assertArrayEquals(plain.scores().get("high"), finished.evaluation().scores().get("high"));
        }
        java.util.Set<Long> racedNumbers = new java.util.HashSet<>(raced.stream().map(LoggedEvaluation::number).toList());
        assertTrue(RunResults.read(dir.resolve("raced")).front().stream().noneMatch(e -> racedNumbers.contains(e.number())),
                "raced candidates stay out of the archive");
        // stopped halfway and resumed, the same candidates are raced
        try (Runner runner = Runner.start(config.withBudget(new Budget(5L, null, null)), dir.resolve("raced-resumed"))) {
            runner.run(false);
        }
        try (Runner runner = Runner.resume(dir.resolve("raced-resumed"), new Budget(10L, null, null))) {
            runner.run(false);
        }
        assertEquals(UntimedRunFiles.evaluations(dir.resolve("raced")), UntimedRunFiles.evaluations(dir.resolve("raced-resumed")));
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"random", "ga", "nsga2", "cmaes", "m2n2", "map_elites", "map"})
    void everyStrategyRunsWithRacing(String strategy) throws IOException {
        // two searched parameters, two tasks, one objective minimized (the error rate read as a negated accuracy is not
        // available, so the high half's accuracy is minimized: a legal, if odd, trade-off that exercises orientation)
        String yaml = experiment(strategy, "ps")
                .replace("method: task_arithmetic, groups: 2, search: {weight: [0.0, 2.0]}", "method: ties, groups: 1, search: {weight: [0.0, 2.0], density: [0.2, 1.0]}")
                .replace("{name: acc_high, task: high}", "{name: acc_high, task: high, direction: minimize}")
                .replace("population: 16", "population: 6")
                .replace("generations: 10", "generations: 4")
                .replace("reference: [0, 0]", "racing: {fraction: 0.25, margin: 0.0}");
        Path run = dir.resolve("racing-" + strategy);
        try (Runner runner = Runner.start(config(yaml), run)) {
            runner.run(false);
        }
        RunResults results = RunResults.read(run);
        java.util.List<LoggedEvaluation> all = results.evaluations();
        assertTrue(all.size() >= 4, strategy + ": " + all.size() + " evaluations");
        java.util.Set<Long> front = new java.util.HashSet<>(results.front().stream().map(LoggedEvaluation::number).toList());
        int lowSize = TaskSpec.read(dir.resolve("tasks/low.yaml")).rows().size();
        for (LoggedEvaluation e : all) {
            boolean sampled = e.evaluation().scores().get("low").length < lowSize;
            assertEquals(e.raced(), sampled, "raced exactly when scored on the sample only");
            assertTrue(!e.raced() || !front.contains(e.number()), "raced candidates stay out of the front");
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"nsga2", "cmaes", "m2n2", "map"})
    void threeEvaluatorsGiveTheOneEvaluatorRunsEvaluationsFrontAndHeldoutScores(String strategy) throws IOException {
        // two searched parameters, two tasks, racing on: whichever evaluator takes a genome, and whenever it finishes,
        // the log is in genome order and every value is what one evaluator computes
        String yaml = experiment(strategy, "ps")
                .replace("method: task_arithmetic, groups: 2, search: {weight: [0.0, 2.0]}", "method: ties, groups: 1, search: {weight: [0.0, 2.0], density: [0.2, 1.0]}")
                .replace("population: 16", "population: 7")
                .replace("generations: 10", "evaluations: 14")
                .replace("reference: [0, 0]", "racing: {fraction: 0.3, margin: 0.0}");
        Path one = dir.resolve("workers1-" + strategy);
        Path three = dir.resolve("workers3-" + strategy);
        try (Runner runner = Runner.start(config(yaml), one)) {
            runner.run(false);
        }
        try (Runner runner = Runner.start(config(yaml + "workers: {local: 3}\n"), three)) {
            runner.run(false);
        }
        UntimedRunFiles.assertSameRun(one, three, strategy);
        assertTrue(Files.readAllLines(one.resolve(RunDirectory.LOG)).size() >= 14, strategy + ": a real run");
    }


    @Test
    void badMergeProblemsAreRefusedWithTheKey() {
        assertTrue(assertThrows(EvomergeException.class, () -> config(experiment("nsga2", "dfs"))).getMessage().contains("problem.genome.space"));
        assertTrue(assertThrows(EvomergeException.class, () -> config(experiment("nsga2", "ps") + "racing: {fraction: 1.5}\n"))
                .getMessage().contains("racing.fraction"));
        assertTrue(assertThrows(EvomergeException.class, () -> config(experiment("nsga2", "ps").replace("task: high", "task: hihg")))
                .getMessage().contains("unknown task 'hihg' (did you mean 'high'?)"));
        assertTrue(assertThrows(EvomergeException.class, () -> config(experiment("nsga2", "ps").replace("models/low,", "models/nowhere,")))
                .getMessage().contains("'models/nowhere' not found"));
        assertTrue(assertThrows(EvomergeException.class, () -> config(experiment("nsga2", "ps").replace("search: {weight", "search: {wieght")))
                .getMessage().contains("did you mean 'weight'?"));
    }
}
