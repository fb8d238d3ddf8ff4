package dev.evomerge.experiment;

import dev.evomerge.genome.Genome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A run's {@code evaluations.jsonl} and what the loop needs of it: lines numbered in order (the evaluation
 * number is the line number), appended and fsynced a generation at a time; the evaluations of recent
 * genomes, so a repeat is served without evaluating it again; and, on resume, the replay of every line the
 * checkpoint counts (the file cut back to them), so the archive and the cache are rebuilt as they were.
 */
final class EvaluationLog implements AutoCloseable {
    /** Evaluations remembered for repeats (least recently used go first). */
    private static final int CACHE_SIZE = 10_000;

    private final JsonLines lines;
    private final List<Objective> objectives;
    /**
     * In order of last logging: a lookup never reorders it (a resumed run, which replays lines but makes no
     * lookups, must end up with the same cache and so serve the same repeats).
     */
    private final Map<Genome, Evaluation> cache = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Genome, Evaluation> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    private EvaluationLog(List<Objective> objectives, JsonLines lines) {
        this.objectives = objectives;
        this.lines = lines;
    }

    static EvaluationLog create(Path file, List<Objective> objectives) {
        return new EvaluationLog(objectives, JsonLines.create(file));
    }

    /** The log cut back to the checkpoint's {@code count} lines ({@code bytes}), each replayed in order to {@code replay} and cached. */
    static EvaluationLog resume(Path file, long count, long bytes, List<Objective> objectives, Consumer<LoggedEvaluation> replay) {
        List<LoggedEvaluation> replayed = new ArrayList<>();
        JsonLines lines = JsonLines.resume(file, count, bytes, line -> replayed.add(LoggedEvaluation.parse(line, objectives)));
        EvaluationLog log = new EvaluationLog(objectives, lines);
        for (LoggedEvaluation e : replayed) {
            log.remember(e);
            replay.accept(e);
        }
        return log;
    }

    /** The evaluation of a genome evaluated before (null when it was not, or was forgotten). */
    Evaluation cached(Genome genome) {
        return cache.get(genome);
    }

    /** The number the next appended evaluation gets. */
    long next() {
        return lines.lines();
    }

    long lines() {
        return lines.lines();
    }

    long bytes() {
        return lines.bytes();
    }

    /** Appends one generation's evaluations (numbered from {@link #next}) and forces them to disk. */
    void append(List<LoggedEvaluation> evaluations) {
        List<String> text = new ArrayList<>(evaluations.size());
        for (LoggedEvaluation e : evaluations) {
            remember(e);
            text.add(e.toJson(objectives));
        }
        lines.append(text);
    }

    private void remember(LoggedEvaluation e) {
        cache.remove(e.genome());
        cache.put(e.genome(), e.evaluation());
    }

    @Override
    public void close() {
        lines.close();
    }
}
