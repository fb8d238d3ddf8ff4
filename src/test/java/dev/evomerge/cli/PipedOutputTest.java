package dev.evomerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.evomerge.model.TinyCheckpoints;
import dev.evomerge.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI in a fresh JVM whose standard output and error are a pipe, as under CI or {@code | tee log}: no progress bar. */
class PipedOutputTest {
    @TempDir
    Path dir;

    /** Runs {@code evomerge ARGS} in a child JVM with stdout and stderr on one pipe; returns what it wrote. */
    private String cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void aSearchAndAMergeWriteNoCarriageReturnIntoAPipe() throws Exception {
        Files.writeString(dir.resolve("zdt1.yaml"), """
                name: zdt1
                seed: 1
                problem: {benchmark: zdt1, dimension: 5}
                strategy: {name: nsga2, population: 8}
                budget: {generations: 5}
                reference: [1.1, 1.1]
                """);
        String search = cli("run", "zdt1.yaml", "--out", "run", "--refresh", "0");
        assertTrue(search.contains("5 generations, "), search);
        assertFalse(search.contains("\r"), search);

        TinyCheckpoints.llama(dir.resolve("a"), 2, 8, 16, DType.F32, 1, 0.1);
        TinyCheckpoints.llama(dir.resolve("b"), 2, 8, 16, DType.F32, 2, 0.1);
        Files.writeString(dir.resolve("recipe.yaml"), """
                merge_method: linear
                models:
                  - {model: a, parameters: {weight: 1.0}}
                  - {model: b, parameters: {weight: 1.0}}
                """);
        String merge = cli("merge", "recipe.yaml", "--out", "merged");
        assertTrue(merge.contains("merged linear of 2 models"), merge);
        assertFalse(merge.contains("\r"), merge);
    }
}
