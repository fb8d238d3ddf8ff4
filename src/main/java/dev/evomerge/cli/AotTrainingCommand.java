package dev.evomerge.cli;

import dev.evomerge.merge.SyntheticFineTunes;
import dev.evomerge.tensor.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * The short run that {@code run.sh} records the JVM's ahead-of-time cache from, once per build
 * ({@code -XX:AOTCacheOutput}): the commands a user runs once, through the same command line, on small generated
 * checkpoints. The classes it loads (the command line, YAML and JSON parsing, the checkpoint readers and writers,
 * the merge kernel and the Vector API), every later command maps from the cache instead of finding, reading and
 * parsing them again. Small on purpose: on JDK 25 {@code --add-modules jdk.incubator.vector} turns off the archived
 * module graph and with it ahead-of-time linking and method profiles, so a longer run would record nothing more.
 */
@Command(name = "aot-training", hidden = true,
        description = "The short run run.sh records the start-up cache from, after a build: merges and inspect on small generated checkpoints.")
public final class AotTrainingCommand implements Callable<Integer> {
    /** The task-vector methods share one kernel; TIES and DARE take its threshold and random-drop paths. */
    private static final String TIES = """
            merge_method: ties
            base_model: base
            models:
              - {model: ft1, parameters: {weight: 0.5, density: 0.5}}
              - {model: ft2, parameters: {weight: 0.3, density: 0.5}}
              - {model: ft3, parameters: {weight: 0.2, density: 0.5}}
            dtype: bfloat16
            """;
    private static final String DARE = TIES.replace("merge_method: ties", "merge_method: dare_ties");

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("evomerge-aot-training");
        try {
            SyntheticFineTunes.write(dir, SyntheticFineTunes.Layout.llama(1, 128, 256, 256), 3);
            Files.writeString(dir.resolve("ties.yaml"), TIES);
            Files.writeString(dir.resolve("dare.yaml"), DARE);
            for (String[] args : new String[][] {
                    {"inspect", dir.resolve("base").toString(), dir.resolve("ft1").toString()},
                    {"merge", dir.resolve("ties.yaml").toString(), "--out", dir.resolve("ties").toString()},
                    {"merge", dir.resolve("dare.yaml").toString(), "--out", dir.resolve("dare").toString()},
                    {"inspect", dir.resolve("ties").toString()}}) {
                int code = Main.execute(args);
                if (code != 0) {
                    throw new IllegalStateException("training command failed (" + code + "): " + String.join(" ", args));
                }
            }
            return 0;
        } finally {
            AtomicFiles.deleteTree(dir);
        }
    }
}
