package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import dev.evomerge.archive.Hypervolume;
import dev.evomerge.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {
    private static final String YAML = """
            name: zdt1-tiny
            seed: 1
            problem: {benchmark: zdt1, dimension: 5}
            strategy: {name: nsga2, population: 8}
            budget: {evaluations: 30}
            """;

    private static ExperimentConfig experiment(String yaml) {
        return ExperimentConfig.parse(yaml, "test.yaml");
    }

    private static List<ComparisonRun> compare(ExperimentConfig e, String strategies, Path out) {
        return new Comparison(e, ComparedStrategy.parseAll(strategies, e), 101, 2, 30, out, "cmd")
                .run(new PrintStream(new ByteArrayOutputStream()), ProgressDisplay.NONE);
    }

    /** The table's rows by strategy label: its cells, trimmed. */
    private static List<String[]> rows(String table) {
        List<String[]> rows = new ArrayList<>();
        for (String line : table.lines().toList()) {
            if (line.startsWith("| ") && !line.startsWith("| strategy")) {
                String[] cells = line.substring(1, line.length() - 1).split("\\|");
                rows.add(Arrays.stream(cells).map(String::trim).toArray(String[]::new));
            }
        }
        return rows;
    }

    @Test
    void everyStrategyRunsEverySeedOnOneBudgetAndTheTableReadsBack(@TempDir Path dir) throws Exception {
        ExperimentConfig e = experiment(YAML);
        Path out = dir.resolve("cmp");
        List<ComparisonRun> runs = compare(e, "nsga2,cmaes:{population: 6}", out);
        assertEquals(6, runs.size(), "random added as the baseline: 3 strategies × 2 seeds");
        assertEquals(6, Files.readString(out.resolve(Comparison.RUNS)).lines().count());
        for (ComparisonRun r : runs) {
            assertTrue(r.evaluations() >= 30, r.label() + " spent " + r.evaluations());
            assertTrue(Files.isRegularFile(out.resolve(r.runDir()).resolve(RunDirectory.LOG)), r.runDir());
        }

        String table = Files.readString(out.resolve(Comparison.TABLE));
        List<String[]> rows = rows(table);
        assertEquals(List.of("random", "nsga2", "cmaes{population: 6}"), rows.stream().map(r -> r[0]).toList(), table);
        assertTrue(table.contains("nsga2 {population:8}"), "the experiment's own strategy keeps its hyperparameters\n" + table);
        assertTrue(table.contains("derived from all 6 runs"), table);
        // the stated reference point, recomputed from the runs: each objective's worst less a tenth of its spread
        String stated = table.lines().filter(l -> l.startsWith("Hypervolume reference point")).findFirst().orElseThrow();
        double[] ref = new double[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            double worst = runs.stream().mapToDouble(r -> r.worst()[k]).max().orElseThrow(); // minimized: the largest
            double best = runs.stream().mapToDouble(r -> r.best()[k]).min().orElseThrow();
            ref[i] = worst + 0.1 * (worst - best);
            assertTrue(stated.contains("f" + (i + 1) + " = " + String.format(Locale.ROOT, "%.4g", ref[i])), stated + " vs " + ref[i]);
        }
        for (String[] row : rows) {
            assertEquals("2", row[2], "runs of " + row[0]);
            double[] hv = runs.stream().filter(r -> r.label().equals(row[0]))
                    .mapToDouble(r -> Hypervolume.of(r.front().stream().map(p -> new double[] {-p[0], -p[1]}).toList(), new double[] {-ref[0], -ref[1]}))
                    .toArray();
            double mean = (hv[0] + hv[1]) / 2;
            assertTrue(mean > 0, row[0]);
            assertEquals(String.format(Locale.ROOT, "%.4g", mean), row[3].split(" ± ")[0], row[0]);
            String median = row[5];
            assertTrue(median.contains(String.format(Locale.ROOT, "[%.4g, %.4g]", Math.min(hv[0], hv[1]), Math.max(hv[0], hv[1]))), median);
            assertEquals(row[0].equals("random") ? "–" : "ok", row[0].equals("random") ? row[6] : row[6].matches("[0-9.e-]+") ? "ok" : row[6]);
        }
        // scored on the first 30 computed evaluations, even where a run went past them
        for (ComparisonRun r : runs) {
            List<LoggedEvaluation> all = RunResults.read(out.resolve(r.runDir())).evaluations().stream().filter(x -> !x.cached()).toList();
            assertTrue(all.size() >= 30);
            for (double[] p : r.front()) {
                assertTrue(all.subList(0, 30).stream().anyMatch(x -> Arrays.equals(x.evaluation().objectives(), p)), r.label());
            }
        }
    }

    @Test
    void aRerunSkipsFinishedRunsAndResumesAnInterruptedOne(@TempDir Path dir) throws Exception {
        ExperimentConfig e = experiment(YAML);
        Path out = dir.resolve("cmp");
        List<ComparisonRun> first = compare(e, "nsga2", out);
        Path runs = out.resolve(Comparison.RUNS);
        List<String> lines = Files.readString(runs).lines().toList();
        String table = Files.readString(out.resolve(Comparison.TABLE));

        // nothing to do: nothing rerun, same table
        compare(e, "nsga2", out);
        assertEquals(lines, Files.readString(runs).lines().toList());
        assertEquals(table, Files.readString(out.resolve(Comparison.TABLE)));

        // killed before its line was written, after a few generations: resumed from the run's own checkpoint
        ComparisonRun nsga = first.stream().filter(r -> r.label().equals("nsga2") && r.seed() == 102).findFirst().orElseThrow();
        Path runDir = out.resolve(nsga.runDir());
        dev.evomerge.tensor.AtomicFiles.deleteTree(runDir);
        try (Runner partial = Runner.start(e.withSeed(102).withBudget(new Budget(null, 10L, null)), runDir)) {
            partial.run(false);
        }
        List<String> kept = lines.stream().filter(l -> !(l.contains("\"label\":\"nsga2\"") && l.contains("\"seed\":102"))).toList();
        assertEquals(lines.size() - 1, kept.size());
        Files.writeString(runs, String.join("\n", kept) + "\n" + "{\"label\":\"nsga2\",\"seed\""); // and a torn last line
        // a random run killed before its first checkpoint: a directory with no checkpoint, started over
        ComparisonRun rnd = first.stream().filter(r -> r.label().equals("random") && r.seed() == 101).findFirst().orElseThrow();
        dev.evomerge.tensor.AtomicFiles.deleteTree(out.resolve(rnd.runDir()));
        Files.createDirectories(out.resolve(rnd.runDir()));
        Files.writeString(out.resolve(rnd.runDir()).resolve("junk"), "half-made");
        kept = kept.stream().filter(l -> !(l.contains("\"label\":\"random\"") && l.contains("\"seed\":101"))).toList();
        Files.writeString(runs, String.join("\n", kept) + "\n");

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<ComparisonRun> again = new Comparison(e, ComparedStrategy.parseAll("nsga2", e), 101, 2, 30, out, "cmd").run(new PrintStream(log), ProgressDisplay.NONE);
        assertTrue(log.toString().contains("nsga2 seed 102: resuming " + runDir), log.toString());
        assertEquals(4, Files.readString(runs).lines().count());
        for (ComparisonRun before : first) {
            ComparisonRun after = again.stream().filter(r -> r.label().equals(before.label()) && r.seed() == before.seed()).findFirst().orElseThrow();
            assertEquals(before.toJson().replaceAll("\"seconds\":[^,]+", ""), after.toJson().replaceAll("\"seconds\":[^,]+", ""),
                    "a resumed or restarted run is the run it would have been");
        }
        assertTrue(Files.notExists(out.resolve(rnd.runDir()).resolve("junk")));
        assertEquals(rows(table).stream().map(r -> r[3]).toList(), rows(Files.readString(out.resolve(Comparison.TABLE))).stream().map(r -> r[3]).toList());
    }

    @Test
    void theExperimentsReferencePointIsUsedAndStated(@TempDir Path dir) throws Exception {
        ExperimentConfig e = experiment(YAML + "reference: [1.1, 10.0]\n");
        Path out = dir.resolve("cmp");
        List<ComparisonRun> runs = compare(e, "random", out);
        assertEquals(2, runs.size());
        String table = Files.readString(out.resolve(Comparison.TABLE));
        assertTrue(table.contains("f1 = 1.100, f2 = 10.00 (the experiment's `reference`)"), table);
        ComparisonRun r = runs.getFirst();
        double hv = Hypervolume.of(r.front().stream().map(p -> new double[] {-p[0], -p[1]}).toList(), new double[] {-1.1, -10});
        double other = Hypervolume.of(runs.get(1).front().stream().map(p -> new double[] {-p[0], -p[1]}).toList(), new double[] {-1.1, -10});
        assertEquals(String.format(Locale.ROOT, "%.4g", (hv + other) / 2), rows(table).getFirst()[3].split(" ± ")[0]);
        assertNotEquals(hv, other, "two seeds, two runs");
    }

    @Test
    void oneSeedHasNoSpreadRatherThanAZeroOne(@TempDir Path dir) {
        ExperimentConfig e = experiment(YAML);
        new Comparison(e, ComparedStrategy.parseAll("random", e), 101, 1, 30, dir, "cmd").run(new PrintStream(new ByteArrayOutputStream()), ProgressDisplay.NONE);
        String[] row = rows(assertDoesNotThrow(() -> Files.readString(dir.resolve(Comparison.TABLE)))).getFirst();
        assertEquals("–", row[3].split(" ± ")[1], "an unknown spread is shown as unknown: " + String.join("|", row));
    }

    @Test
    void anotherExperimentInTheSameDirectoryIsRefused(@TempDir Path dir) {
        Path out = dir.resolve("cmp");
        compare(experiment(YAML), "random", out);
        EvomergeException error = assertThrows(EvomergeException.class, () -> compare(experiment(YAML.replace("dimension: 5", "dimension: 6")), "random", out));
        assertTrue(error.getMessage().contains("another (or an edited) experiment"), error.getMessage());
    }

    @Test
    void strategyListsParseWithOverridesAndRefuseMistakes() {
        ExperimentConfig e = experiment(YAML);
        List<ComparedStrategy> s = ComparedStrategy.parseAll("map, nsga2:{population: 14, crossover: 0.8},nsga2", e);
        assertEquals(List.of("random", "map", "nsga2{population: 14, crossover: 0.8}", "nsga2"), s.stream().map(ComparedStrategy::label).toList());
        assertEquals("{\"population\":14,\"crossover\":0.8}", s.get(2).hyperparameters().toString());
        assertEquals("{\"population\":8}", s.get(3).hyperparameters().toString(), "the experiment's own strategy keeps its settings");
        assertEquals("nsga2_population_14_crossover_0.8", s.get(2).fileName());
        assertThrows(EvomergeException.class, () -> ComparedStrategy.parseAll("nsga3", e));
        assertThrows(EvomergeException.class, () -> ComparedStrategy.parseAll("nsga2:{populaton: 14}", e));
        assertThrows(EvomergeException.class, () -> ComparedStrategy.parseAll("nsga2:{population: 2}", e));
        assertThrows(EvomergeException.class, () -> ComparedStrategy.parseAll("nsga2,nsga2", e));
        assertThrows(EvomergeException.class, () -> ComparedStrategy.parseAll("nsga2:{population: 14", e));
    }

    @Test
    void userErrorsExitOneWithAMessage(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("e.yaml");
        Files.writeString(file, YAML.replace("budget: {evaluations: 30}", "budget: {generations: 3}"));
        assertEquals(1, Main.execute("compare", file.toString(), "--seeds", "1", "--out", dir.resolve("o").toString()));
        assertEquals(1, Main.execute("compare", file.toString(), "--strategies", "nope", "--evaluations", "5", "--out", dir.resolve("o").toString()));
        assertEquals(2, Main.execute("compare", file.toString(), "--seeds", "0", "--evaluations", "5"));
        assertEquals(0, Main.execute("compare", file.toString(), "--seeds", "1", "--evaluations", "8", "--out", dir.resolve("o").toString()));
        assertTrue(Files.readString(dir.resolve("o").resolve(Comparison.TABLE)).contains("--evaluations 8"));
    }
}
