package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.DigitsReproduction.RunResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReproductionTest {
    private static final String YAML = """
            name: tiny
            start: scratch
            passes: 60
            seeds: 2
            strategies:
              M2N2: {strategy: m2n2, paper: 87, population: 5, init_std: 0.01, mutation_std: 0.01}
              MAP-Elites: {strategy: map_elites, descriptor_x: 1, descriptor_y: 2, init_std: 0.01}
            """;

    private static ReproductionConfig config(Path dir, String yaml) throws Exception {
        Path file = dir.resolve("tiny.yaml");
        Files.writeString(file, yaml);
        return ReproductionConfig.read(file);
    }

    private static List<RunResult> run(ReproductionConfig config, Path out) {
        return new Reproduction(config, out).run(List.of(), ProgressDisplay.NONE, new PrintStream(new ByteArrayOutputStream()));
    }

    @Test
    void everyStrategyRunsEverySeedAndARerunResumesInsteadOfRepeating(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        List<RunResult> first = run(config(dir, YAML), out);
        assertEquals(4, first.size());
        Path runs = out.resolve(Reproduction.RUNS);
        String logged = Files.readString(runs);
        assertEquals(4, logged.lines().count());
        String table = Files.readString(out.resolve(Reproduction.TABLE));
        assertTrue(table.contains("| M2N2 | m2n2 {population:5, init_std:0.01, mutation_std:0.01} |"), table);
        assertTrue(table.contains("| 2 |") && table.contains("87.0 %"), table);

        // a crash mid-write leaves a line without its newline: it is cut off and that run done again
        Files.writeString(runs, "{\"label\":\"M2N2\",\"seed\":", StandardOpenOption.APPEND);
        List<RunResult> again = run(config(dir, YAML), out);
        assertEquals(logged, Files.readString(runs), "nothing re-run, the torn line gone");
        assertEquals(first, again);

        // the same seed gives the same run
        Files.writeString(runs, String.join("\n", logged.lines().skip(1).toList()) + "\n");
        List<RunResult> rerun = run(config(dir, YAML), out);
        RunResult before = first.stream().filter(r -> r.label().equals("M2N2") && r.seed() == 1).findFirst().orElseThrow();
        RunResult after = rerun.stream().filter(r -> r.label().equals("M2N2") && r.seed() == 1).findFirst().orElseThrow();
        assertEquals(before.testAccuracy(), after.testAccuracy());
        assertEquals(before.trainAccuracy(), after.trainAccuracy());

        Files.writeString(runs, "not json\n" + logged);
        String message = assertThrows(EvomergeException.class, () -> run(config(dir, YAML), out)).getMessage();
        assertTrue(message.endsWith("runs.jsonl:1: not a finished run; delete the line or the file to run it again"), message);
    }

    @Test
    void badFilesGiveOneClearLine(@TempDir Path dir) {
        String unknown = assertThrows(EvomergeException.class, () -> config(dir, YAML.replace("passes:", "pases:"))).getMessage();
        assertTrue(unknown.endsWith("tiny.yaml: pases: unknown key (did you mean 'passes'?)"), unknown);
        String start = assertThrows(EvomergeException.class, () -> config(dir, YAML.replace("start: scratch", "start: pretrained"))).getMessage();
        assertTrue(start.endsWith("start must be scratch or halves, not pretrained"), start);
        String strategy = assertThrows(EvomergeException.class, () -> config(dir, YAML.replace("{strategy: m2n2, ", "{"))).getMessage();
        assertTrue(strategy.endsWith("strategies.M2N2.strategy is required (a strategy name)"), strategy);
        String label = assertThrows(EvomergeException.class, () -> new Reproduction(config(dir, YAML), dir.resolve("o"))
                .run(List.of("M2NN"), ProgressDisplay.NONE, new PrintStream(new ByteArrayOutputStream()))).getMessage();
        assertTrue(label.contains("no strategy 'M2NN' in tiny (did you mean 'M2N2'?)"), label);
    }
}
