package dev.evomerge.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.evomerge.cli.Main;
import dev.evomerge.model.TinyCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagingDirectoryTest {
    @TempDir
    Path dir;

    private List<String> hidden() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList();
        }
    }

    private Path partialOf(String target) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("." + target + ".partial-") && Files.isDirectory(p))
                    .findFirst().orElse(null);
        }
    }

    private static boolean hasFiles(Path partial) throws IOException {
        try (Stream<Path> s = Files.list(partial)) {
            return s.findAny().isPresent();
        } catch (java.nio.file.NoSuchFileException gone) {
            return false;
        }
    }

    private static void signal(Process p, String signal) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
    }

    @Test
    void aKilledMergesPartialIsRemovedByTheNextMergeToTheSameTargetAndAStoppedOnesIsKeptWithItsSize() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "stops and kills the child with POSIX signals");
        // models large enough that the merge is still writing when it is stopped
        TinyCheckpoints.llama(dir.resolve("base"), 8, 256, 512, DType.BF16, 1, 0.05);
        TinyCheckpoints.llama(dir.resolve("a"), 8, 256, 512, DType.BF16, 2, 0.05);
        Files.writeString(dir.resolve("recipe.yaml"), """
                merge_method: ties
                base_model: base
                models:
                  - {model: a, parameters: {weight: 1.0, density: 0.5}}
                """);
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx1g", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "merge", "recipe.yaml", "--out", "merged",
                "--parallelism", "1")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        try {
            // stop it once its shards are there (mapped, at their full size) and it is merging into them: a writer
            // that is alive, as far as anyone can see
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            Path partial = null;
            while (System.nanoTime() < deadline && child.isAlive()) {
                partial = partialOf("merged");
                if (partial != null && hasFiles(partial)) {
                    break;
                }
                Thread.sleep(5);
            }
            signal(child, "STOP");
            assertTrue(child.isAlive() && partial != null && !Files.exists(dir.resolve("merged")),
                    "stopped while merging: " + Files.readString(dir.resolve("child.log")));
            StagingDirectory.Sweep whileStopped = StagingDirectory.sweep(dir.resolve("merged"));
            assertEquals(List.of(), whileStopped.removed());
            assertEquals(1, whileStopped.kept().size(), whileStopped.toString());
            StagingDirectory.Leftover kept = whileStopped.kept().getFirst();
            assertEquals(partial, kept.path());
            assertTrue(kept.locked() && kept.bytes() > 0, kept.toString());
            assertTrue(kept.describe().contains("is being written by another process"), kept.describe());

            child.destroyForcibly().waitFor();
            assertTrue(Files.isDirectory(partial), "a kill leaves the partial directory");
            assertEquals(0, Main.execute("merge", dir.resolve("recipe.yaml").toString(), "--out", dir.resolve("merged").toString(), "-q"));
            assertTrue(Files.isDirectory(dir.resolve("merged")));
            assertEquals(List.of(), hidden(), "the killed merge's partial directory and its lock file are gone");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void anExportsLeftoversAreRemovedAndOtherTargetsAndUnlockedOnesAreLeft() throws IOException {
        // what a killed export leaves: its unverified directory, and the partial directory of the merge into it;
        // a lock file nobody holds is what a dead owner leaves
        for (String dead : List.of(".out.unverified-a1", "..out.unverified-a1.partial-b2", ".out.partial-c3", ".out2.partial-d4")) {
            Files.createDirectory(dir.resolve(dead));
            Files.write(dir.resolve(dead).resolve("model.safetensors"), new byte[1000]);
            Files.createFile(dir.resolve(dead + ".lock"));
        }
        Files.createDirectory(dir.resolve(".out.partial-e5")); // no lock file: an older evomerge's
        try (StagingDirectory live = StagingDirectory.create(dir.resolve("out"), StagingDirectory.PARTIAL)) {
            StagingDirectory.Sweep sweep = StagingDirectory.sweep(dir.resolve("out"));
            assertEquals(List.of(dir.resolve("..out.unverified-a1.partial-b2"), dir.resolve(".out.partial-c3"), dir.resolve(".out.unverified-a1")),
                    sweep.removed().stream().map(StagingDirectory.Leftover::path).toList());
            assertEquals(1000, sweep.removed().getFirst().bytes());
            // one live staging directory, held in this JVM, and the unlocked one without a lock file
            assertEquals(2, sweep.kept().size(), sweep.toString());
            assertTrue(sweep.kept().stream().anyMatch(k -> k.path().equals(dir.resolve(".out.partial-e5")) && !k.locked()), sweep.toString());
            assertTrue(sweep.kept().stream().anyMatch(k -> k.path().equals(live.path()) && k.locked()), sweep.toString());
            assertTrue(Files.isDirectory(live.path()));
        }
        assertEquals(List.of(".out.partial-e5", ".out2.partial-d4", ".out2.partial-d4.lock"), hidden());
    }

    @Test
    void stagingNamesBelongToTheirOwnTargetOnly() {
        assertTrue(StagingDirectory.belongsTo(".out.partial-x", "out"));
        assertTrue(StagingDirectory.belongsTo(".out.unverified-x.lock", "out"));
        assertTrue(StagingDirectory.belongsTo("..out.unverified-x.partial-y", "out"));
        assertFalse(StagingDirectory.belongsTo(".outer.partial-x", "out"));
        assertFalse(StagingDirectory.belongsTo("..out.partial-x", "out"), "the partial directory of a target named .out");
        assertFalse(StagingDirectory.belongsTo(".out", "out"));
    }
}
