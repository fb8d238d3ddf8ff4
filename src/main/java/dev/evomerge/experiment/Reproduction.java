package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.DigitsReproduction;
import dev.evomerge.fitness.DigitsReproduction.RunResult;
import dev.evomerge.genome.Genome;
import dev.evomerge.tensor.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs a {@link ReproductionConfig}: every strategy on every seed, one {@link DigitsReproduction} run each,
 * into {@code OUTPUT/NAME/}: {@code runs.jsonl} (one fsynced line per finished run) and {@code table.md}
 * (test accuracy mean ± std per strategy, rewritten atomically). Running it again skips the runs already in
 * runs.jsonl, so a killed comparison resumes where it stopped (an unfinished run starts over: it is minutes).
 */
public final class Reproduction {
    public static final String RUNS = "runs.jsonl";
    public static final String TABLE = "table.md";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReproductionConfig config;
    private final Path dir;

    public Reproduction(ReproductionConfig config, Path dir) {
        this.config = config;
        this.dir = dir == null ? config.output().resolve(config.name()) : dir;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Runs what is missing for {@code labels} (all when empty) and returns every finished run of this budget; a
     * line on {@code log} per finished run unless {@code progress} draws a bar.
     */
    public List<RunResult> run(List<String> labels, ProgressDisplay progress, PrintStream log) {
        List<String> chosen = labels.isEmpty() ? List.copyOf(config.strategies().keySet()) : labels;
        for (String label : chosen) {
            if (!config.strategies().containsKey(label)) {
                throw new EvomergeException("no strategy '" + label + "' in " + config.name() + dev.evomerge.DidYouMean.suggest(label, config.strategies().keySet()));
            }
        }
        try {
            Files.createDirectories(dir);
            AtomicFiles.write(dir.resolve("config.yaml"), config.yaml());
        } catch (IOException e) {
            throw new EvomergeException("cannot write " + dir + ": " + e.getMessage(), e);
        }
        List<RunResult> done = readRuns(dir.resolve(RUNS));
        DigitsReproduction digits = DigitsReproduction.ofDigits(config.splitSeed(), config.rawPixels());
        List<Genome> starts = List.of();
        String startLine = "from scratch";
        if (config.start().equals("halves")) {
            JsonNode h = config.halves();
            starts = digits.trainedHalves(h.path("seed").asLong(42), h.path("init_std").asDouble(0.01), h.path("epochs").asInt(10),
                    h.path("learning_rate").asDouble(0.003));
            startLine = String.format(Locale.ROOT, "from two MLPs trained on digits 0–4 and 5–9 (test accuracy %.1f %% and %.1f %% on all digits)",
                    100 * mean(digits.correct(starts.get(0), true)), 100 * mean(digits.correct(starts.get(1), true)));
        }
        log.println(config.name() + ": " + startLine + "; " + config.passes() + " forward passes per run, " + config.seeds() + " seeds");
        List<String[]> todo = new ArrayList<>();
        for (String label : chosen) {
            for (int seed = 1; seed <= config.seeds(); seed++) {
                if (find(done, label, seed) == null) {
                    todo.add(new String[] {label, String.valueOf(seed)});
                }
            }
        }
        try (ProgressDisplay.Progress bar = (todo.isEmpty() ? ProgressDisplay.NONE : progress)
                .start("passes", "passes", 0, (long) todo.size() * config.passes())) {
            for (String[] run : todo) {
                String label = run[0];
                long seed = Long.parseLong(run[1]);
                bar.message(label + " seed " + seed);
                RunResult r = digits.run(label, config.strategyOf(label), config.hyperparametersOf(label), config.bound(), seed, config.passes(),
                        starts, bar::stepBy);
                append(dir.resolve(RUNS), r);
                done.add(r);
                if (progress.mode() != ProgressDisplay.Mode.BAR) {
                    log.printf(Locale.ROOT, "%s seed %d: test %.1f %%, train %.1f %%, %.0f s%n", label, seed, 100 * r.testAccuracy(),
                            100 * r.trainAccuracy(), r.seconds());
                }
            }
        }
        String table = "# " + config.name() + "\n\n" + startLine + "; " + config.passes() + " forward passes over the training split per run; "
                + "test accuracy of the best genome by training accuracy.\n\n" + table(config, chosen, done);
        try {
            AtomicFiles.write(dir.resolve(TABLE), table);
        } catch (IOException e) {
            throw new EvomergeException("cannot write " + dir.resolve(TABLE) + ": " + e.getMessage(), e);
        }
        log.print(table);
        return done.stream().filter(r -> chosen.contains(r.label())).toList();
    }

    private RunResult find(List<RunResult> done, String label, long seed) {
        return done.stream().filter(r -> r.label().equals(label) && r.seed() == seed && r.passes() == config.passes()).findFirst().orElse(null);
    }

    /** The markdown table: one row per label, over its finished runs of this budget. */
    static String table(ReproductionConfig config, List<String> labels, List<RunResult> runs) {
        StringBuilder out = new StringBuilder("| strategy | settings | test accuracy | train accuracy | runs | wall s / run | paper (≈) |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (String label : labels) {
            List<RunResult> mine = runs.stream().filter(r -> r.label().equals(label) && r.passes() == config.passes()).toList();
            double paper = config.paperFigure(label);
            out.append(String.format(Locale.ROOT, "| %s | %s %s | %s | %s | %d | %.0f | %s |%n", label, config.strategyOf(label),
                    config.hyperparametersOf(label).toString().replace("\"", "").replace(",", ", "),
                    meanStd(mine.stream().mapToDouble(RunResult::testAccuracy).toArray()),
                    meanStd(mine.stream().mapToDouble(RunResult::trainAccuracy).toArray()), mine.size(),
                    mine.stream().mapToDouble(RunResult::seconds).average().orElse(0), Double.isNaN(paper) ? "–" : paper + " %"));
        }
        return out.toString();
    }

    static String meanStd(double[] values) {
        if (values.length == 0) {
            return "–";
        }
        double mean = mean(values);
        double var = 0;
        for (double v : values) {
            var += (v - mean) * (v - mean);
        }
        double std = values.length > 1 ? Math.sqrt(var / (values.length - 1)) : 0;
        return String.format(Locale.ROOT, "%.1f %% ± %.1f", 100 * mean, 100 * std);
    }

    private static double mean(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return values.length == 0 ? 0 : s / values.length;
    }

    /** The finished runs; a torn last line (a crash mid-write) is cut off, anything else unreadable is an error. */
    static List<RunResult> readRuns(Path file) {
        List<RunResult> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            long good = 0;
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                if (i == lines.length - 1) {
                    if (!line.isEmpty()) { // no newline after it: the write did not finish
                        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                            ch.truncate(good);
                            ch.force(true);
                        }
                    }
                    break;
                }
                try {
                    JsonNode n = JSON.readTree(line);
                    out.add(new RunResult(n.get("label").asText(), n.get("strategy").asText(), n.get("seed").asLong(), n.get("passes").asInt(),
                            n.get("train_accuracy").asDouble(), n.get("test_accuracy").asDouble(), n.get("seconds").asDouble()));
                } catch (IOException | NullPointerException e) {
                    throw new EvomergeException(file + ":" + (i + 1) + ": not a finished run; delete the line or the file to run it again");
                }
                good += line.getBytes(StandardCharsets.UTF_8).length + 1;
            }
        } catch (IOException e) {
            throw new EvomergeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static void append(Path file, RunResult r) {
        ObjectNode n = JSON.createObjectNode().put("label", r.label()).put("strategy", r.strategy()).put("seed", r.seed())
                .put("passes", r.passes()).put("train_accuracy", r.trainAccuracy()).put("test_accuracy", r.testAccuracy())
                .put("seconds", r.seconds());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer line = ByteBuffer.wrap((n + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) {
                ch.write(line);
            }
            ch.force(true);
        } catch (IOException e) {
            throw new EvomergeException("cannot append to " + file + ": " + e.getMessage(), e);
        }
    }
}
