package dev.evomerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.util.cuda.CudaUtils;
import dev.evomerge.model.TinyCheckpoints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands start the PyTorch engine only when they use it: a merge that the Java kernel does whole, and
 * {@code inspect}, leave its native library unloaded; a method without a Java kernel loads it. Run in a fresh
 * JVM, since any earlier test of this one may have started the engine.
 */
class EngineStartTest {
    @TempDir
    Path dir;

    /**
     * Runs each command (arguments separated by {@code ;}) in one child JVM, in order, and after each prints
     * whether the engine's native library is mapped into the process.
     */
    public static void main(String[] args) throws IOException {
        List<String> command = new ArrayList<>();
        for (String arg : args) {
            if (!arg.equals(";")) {
                command.add(arg);
                continue;
            }
            run(command);
            command.clear();
        }
        run(command);
    }

    private static void run(List<String> command) throws IOException {
        int code = Main.execute(command.toArray(String[]::new));
        boolean loaded = Files.readString(Path.of("/proc/self/maps")).contains("libtorch");
        System.out.println("probe " + command.getFirst() + " exit " + code + " engine " + loaded);
    }

    private List<String> probe(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), EngineStartTest.class.getName()));
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(300, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("probe ")).toList();
    }

    @Test
    void aJavaKernelMergeAndInspectLeaveTheEngineUnloadedALinearMergeLoadsIt() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/maps")), "needs Linux's /proc to see loaded libraries");
        TinyCheckpoints.baseAndTwo(dir);
        Files.writeString(dir.resolve("ties.yaml"), """
                merge_method: ties
                base_model: base
                models:
                  - {model: a, parameters: {weight: 0.6, density: 0.5}}
                  - {model: b, parameters: {weight: 0.4, density: 0.5}}
                dtype: bfloat16
                """);
        Files.writeString(dir.resolve("linear.yaml"), """
                merge_method: linear
                models:
                  - {model: a, parameters: {weight: 1.0}}
                  - {model: b, parameters: {weight: 1.0}}
                """);
        List<String> probes = probe("merge", "ties.yaml", "--out", "cpu", "--device", "cpu", ";",
                "merge", "ties.yaml", "--out", "auto", "--device", "auto", ";",
                "inspect", "cpu", "base", ";",
                "merge", "linear.yaml", "--out", "linear");
        // where CUDA sees a GPU, auto asks the engine whether it can use it; the last line shows that the probe
        // sees the engine when it is there
        boolean cuda = CudaUtils.getGpuCount() > 0;
        assertEquals(List.of("probe merge exit 0 engine false", "probe merge exit 0 engine " + cuda,
                "probe inspect exit 0 engine false", "probe merge exit 0 engine true"), probes);
    }
}
