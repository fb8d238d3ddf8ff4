package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.cli.Main;
import dev.evomerge.fitness.Digits;
import dev.evomerge.fitness.LabelledData;
import dev.evomerge.fitness.MlpClassifier;
import dev.evomerge.model.TinyCheckpoints;
import dev.evomerge.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Resume's promise, checked where it can break: a merge search on bf16 sources, with two searched parameters
 * and two tasks, started by the {@code run} command in a child JVM, is SIGKILLed three times (once after a
 * fixed number of logged evaluations, then at seeded random moments) and resumed each time by the
 * {@code resume} command in a fresh JVM; it ends with exactly the evaluations, front and held-out scores of
 * the same run left alone (run here, in the test's JVM), for every strategy. A front point exported by three
 * fresh JVMs is the same bytes. Each JVM draws its own hash seed, so an order taken from a hash set or map
 * ({@code Set.of}, {@code Map.of}, identity hashes) shows up as a difference; and a resumed JVM scores its
 * first candidates before the JIT has compiled the merge kernel, where the run left alone is warm.
 */
class ResumeInFreshJvmsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MlpClassifier MLP = MlpClassifier.of(64, 32, 10);
    /** The budget, in fresh evaluations; a generation is never cut, so a run logs at least this many lines. */
    private static final int BUDGET = 48;
    /** The first kill lands as soon as this many evaluations are logged. */
    private static final int FIRST_KILL = 12;
    /**
     * A random kill lands at the latest once the log reaches this many lines (or one more than it had before
     * the resume, if that is later), so that every kill finds the run under way.
     */
    private static final int LAST_KILL = 3 * BUDGET / 4;
    /** A random kill waits up to this long once the resumed child's log has reached a random length. */
    private static final int MAX_KILL_DELAY_MS = 400;
    private static final int KILLS = 3;
    /** SIGKILL, as Process reports it on Linux (128 + 9). */
    private static final int KILLED = 137;
    /** No child may take longer than this: a hang fails the test instead of blocking the build. */
    private static final long CHILD_TIMEOUT_S = 150;

    @TempDir
    static Path dir;

    /** Every child started, so that none outlives a failed test. */
    private static final List<Process> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void models() throws IOException {
        LabelledData train = Digits.split(0)[0];
        Map<String, float[]> init = MLP.initialize(1, 0.05);
        TinyCheckpoints.mlp(dir.resolve("models/init"), MLP, init, DType.BF16);
        TinyCheckpoints.mlp(dir.resolve("models/low"), MLP, MLP.train(init, train.withLabels(Set.of(0, 1, 2, 3, 4)), 25, 1e-2), DType.BF16);
        TinyCheckpoints.mlp(dir.resolve("models/high"), MLP, MLP.train(init, train.withLabels(Set.of(5, 6, 7, 8, 9)), 25, 1e-2), DType.BF16);
        Files.createDirectories(dir.resolve("tasks"));
        Files.writeString(dir.resolve("tasks/low.yaml"), "kind: classification\ndataset: digits\nsplit: test\nlabels: [0, 1, 2, 3, 4]\n");
        Files.writeString(dir.resolve("tasks/high.yaml"), "kind: classification\ndataset: digits\nsplit: test\nlabels: [5, 6, 7, 8, 9]\n");
    }

    /** The experiment file for {@code strategy}; MAP's first round is made smaller than its default so that it has later rounds to kill. */
    private static Path experiment(String strategy) throws IOException {
        String extra = strategy.equals("map") ? ", samples: 18" : "";
        Path file = dir.resolve("experiment-" + strategy + ".yaml");
        Files.writeString(file, """
                name: killed-%s
                seed: 17
                problem:
                  base: %s
                  models: [%s, %s]
                  genome: {space: ps, method: ties, groups: 1, search: {weight: [0, 2], density: [0.1, 1]}}
                  tasks: {low: %s, high: %s}
                  objectives: [{name: acc_low, task: low}, {name: acc_high, task: high}]
                strategy: {name: %s, population: 6%s}
                budget: {evaluations: %d}
                """.formatted(strategy, dir.resolve("models/init"), dir.resolve("models/low"), dir.resolve("models/high"),
                dir.resolve("tasks/low.yaml"), dir.resolve("tasks/high.yaml"), strategy, extra, BUDGET));
        return file;
    }

    @ParameterizedTest
    @ValueSource(strings = {"random", "ga", "nsga2", "cmaes", "m2n2", "map_elites", "map"})
    void aRunKilledThreeTimesAndResumedInFreshJvmsEndsAsTheUninterruptedRunAndExportsTheSameBytes(String strategy) throws Exception {
        Path experiment = experiment(strategy);
        Path straight = dir.resolve(strategy + "-straight");
        Path killed = dir.resolve(strategy + "-killed");
        // the uninterrupted run goes on beside the killed one, in this JVM (its own hash seed; DJL already loaded here)
        CompletableFuture<Integer> reference = CompletableFuture.supplyAsync(
                () -> Main.execute("run", experiment.toString(), "--out", straight.toString(), "--no-progress"));

        long started = System.nanoTime();
        Random random = new Random(strategy.hashCode());  // String.hashCode is specified: the same kill moments every time
        List<Kill> kills = new ArrayList<>();
        Child child = Child.start(strategy + "-run", "run", experiment.toString(), "--out", killed.toString(), "--no-progress");
        awaitLines(child, killed, FIRST_KILL, Long.MAX_VALUE);
        kills.add(child.kill(killed));
        int resumes = 0;
        while (true) {
            long before = lines(killed);
            child = Child.start(strategy + "-resume-" + resumes, "resume", killed.toString(), "--no-progress");
            resumes++;
            if (kills.size() == KILLS) {
                child.awaitSuccess();
                break;
            }
            // a random moment once the resumed run has gone past where the last one was killed (a random number of lines
            // further, then a random delay), and never so late that the run could have ended
            long last = Math.max(LAST_KILL, before + 1);
            awaitLines(child, killed, before + 1 + random.nextLong(last - before), Long.MAX_VALUE);
            long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(MAX_KILL_DELAY_MS));
            awaitLines(child, killed, last, killAt);
            kills.add(child.kill(killed));
        }
        double killedSeconds = (System.nanoTime() - started) / 1e9;
        assertEquals(0, reference.get(CHILD_TIMEOUT_S, TimeUnit.SECONDS), strategy + ": the uninterrupted run failed (see the test's stderr)");

        List<String> expected = UntimedRunFiles.evaluations(straight);
        assertTrue(expected.size() >= BUDGET, strategy + ": a real run, " + expected.size() + " evaluations");
        assertEquals(KILLS, kills.size(), strategy);
        assertEquals(KILLS, resumes, strategy + ": every kill was resumed, and the last resume finished the run");
        for (Kill kill : kills) {
            assertTrue(kill.counted() < kill.logged() || kill.logged() < expected.size(),
                    strategy + ": every kill landed mid-run: " + kills + " of " + expected.size() + " lines");
        }
        for (Kill kill : kills.subList(1, kills.size())) {
            assertTrue(kill.counted() > 0, strategy + ": each later resume continued from a checkpointed generation: " + kills);
        }
        assertEquals(expected, UntimedRunFiles.evaluations(killed), strategy + ": evaluations.jsonl after kills " + kills);
        assertEquals(UntimedRunFiles.front(straight), UntimedRunFiles.front(killed), strategy + ": pareto.json after kills " + kills);
        assertEquals(UntimedRunFiles.heldout(straight), UntimedRunFiles.heldout(killed), strategy + ": heldout.jsonl after kills " + kills);

        // one front point, exported by three JVMs at once: every file, byte for byte
        int frontSize = JSON.readTree(killed.resolve(RunDirectory.PARETO).toFile()).get("front").size();
        String pick = "front:" + frontSize / 2;
        List<Child> exports = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            exports.add(Child.start(strategy + "-export-" + i, "export", killed.toString(), "--pick", pick, "--out",
                    dir.resolve(strategy + "-export-" + i).toString()));
        }
        for (Child export : exports) {
            export.awaitSuccess();
        }
        Map<String, byte[]> first = files(dir.resolve(strategy + "-export-0"));
        assertTrue(first.keySet().stream().anyMatch(f -> f.endsWith(".safetensors")), strategy + ": exported weights " + first.keySet());
        for (int i = 1; i < 3; i++) {
            Map<String, byte[]> other = files(dir.resolve(strategy + "-export-" + i));
            assertEquals(first.keySet(), other.keySet(), strategy + ": the files of export " + i);
            for (String f : first.keySet()) {
                assertArrayEquals(first.get(f), other.get(f), strategy + ": " + f + " of export " + i + " (" + pick + ")");
            }
        }
        System.out.printf("%s: killed at %s of %d lines; killed and resumed run %.0f s, all %.0f s%n", strategy, kills, expected.size(),
                killedSeconds, (System.nanoTime() - started) / 1e9);
    }

    @AfterEach
    void noChildOutlivesItsTest() {
        STARTED.forEach(Process::destroyForcibly);
        STARTED.clear();
    }

    /**
     * Polls the run's log until it has {@code lines} lines or the clock reaches {@code until} (nanoTime);
     * a child that ends meanwhile, or a log that does not grow in time, fails the test.
     */
    private static void awaitLines(Child child, Path run, long lines, long until) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_S);
        while (lines(run) < lines && System.nanoTime() < until) {
            if (!child.process.isAlive()) {
                fail(child.name + " ended (exit " + child.process.exitValue() + ") before its log reached " + lines + " lines; stderr:\n"
                        + child.stderr());
            }
            if (System.nanoTime() > deadline) {
                child.process.destroyForcibly().waitFor();
                fail(child.name + ": its log did not reach " + lines + " lines in " + CHILD_TIMEOUT_S + " s; stderr:\n" + child.stderr());
            }
            Thread.sleep(10);
        }
    }

    /** The number of complete lines in the run's evaluation log (a line being written does not count). */
    private static long lines(Path run) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(run.resolve(RunDirectory.LOG));
        } catch (java.nio.file.NoSuchFileException e) {
            return 0;
        }
        long n = 0;
        for (byte b : bytes) {
            if (b == '\n') {
                n++;
            }
        }
        return n;
    }

    /** Every regular file under {@code root}, by relative path, in sorted order. */
    private static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> out = new java.util.TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    /** A CLI command in its own JVM, launched as run.sh launches one, with its output in files. */
    private record Child(String name, Process process, Path stderrFile) {
        static Child start(String name, String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                    "-Devomerge.home=" + Path.of("").toAbsolutePath(), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp", System.getProperty("java.class.path"), "dev.evomerge.cli.Main"));
            command.addAll(List.of(args));
            Path logs = Files.createDirectories(dir.resolve("logs"));
            Process p = new ProcessBuilder(command).redirectOutput(logs.resolve(name + ".out").toFile())
                    .redirectError(logs.resolve(name + ".err").toFile()).start();
            STARTED.add(p);
            return new Child(name, p, logs.resolve(name + ".err"));
        }

        String stderr() {
            try {
                return Files.readString(stderrFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e.getMessage() + ")";
            }
        }

        void awaitSuccess() throws InterruptedException {
            if (!process.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                fail(name + " did not finish in " + CHILD_TIMEOUT_S + " s; stderr:\n" + stderr());
            }
            assertEquals(0, process.exitValue(), name + " failed; stderr:\n" + stderr());
        }

        /** SIGKILLs the child, which must still be running; returns what it left on disk. */
        Kill kill(Path run) throws IOException, InterruptedException {
            if (!process.isAlive()) {
                fail(name + " ended (exit " + process.exitValue() + ") before its kill; stderr:\n" + stderr());
            }
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                fail(name + " survived SIGKILL for 30 s");
            }
            assertEquals(KILLED, process.exitValue(), name + " was not the one to end it (killed too late?); stderr:\n" + stderr());
            return new Kill(lines(run), Checkpoint.read(run).logLines());
        }
    }

    /** What a kill left: lines in the log, and how many of them the last checkpoint counts (the rest are cut on resume). */
    private record Kill(long logged, long counted) {
        @Override
        public String toString() {
            return logged + " logged, " + counted + " checkpointed";
        }
    }
}
