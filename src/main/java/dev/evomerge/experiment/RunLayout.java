package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run's genomes and logs mean, recorded in {@code layout.json} when the run starts: each gene (in
 * genome order), each task (name, file and a digest of its definition and data, in datapoint order) and
 * each objective. A function of the experiment file alone, never of hash order. {@code resume} and
 * {@code export} compute it again from the run's config and refuse to go on if it differs, naming the
 * first difference: a genome logged under one layout would decode to another merge.
 */
public record RunLayout(List<String> genes, List<String> tasks, List<String> objectives) {
    public static final String FILE = "layout.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public RunLayout {
        genes = List.copyOf(genes);
        tasks = List.copyOf(tasks);
        objectives = List.copyOf(objectives);
    }

    public void write(Path runDir) {
        ObjectNode root = JSON.createObjectNode();
        genes.forEach(root.putArray("genes")::add);
        tasks.forEach(root.putArray("tasks")::add);
        objectives.forEach(root.putArray("objectives")::add);
        try {
            AtomicFiles.write(runDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new EvomergeException(runDir.resolve(FILE) + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** The recorded layout, or null for a run made before layouts were recorded. */
    public static RunLayout read(Path runDir) {
        Path file = runDir.resolve(FILE);
        if (!Files.exists(file)) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            return new RunLayout(strings(root, "genes", file), strings(root, "tasks", file), strings(root, "objectives", file));
        } catch (IOException e) {
            throw new EvomergeException(file + ": corrupt layout (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    private static List<String> strings(JsonNode root, String key, Path file) {
        if (!root.path(key).isArray()) {
            throw new EvomergeException(file + ": corrupt layout (no '" + key + "' list)");
        }
        List<String> out = new ArrayList<>();
        root.get(key).forEach(n -> out.add(n.asText()));
        return out;
    }

    /**
     * Refuses, in one line, a layout that differs from the one {@code runDir} recorded (none recorded: nothing
     * to check).
     */
    public static void check(Path runDir, RunLayout now) {
        RunLayout recorded = read(runDir);
        if (recorded == null || recorded.equals(now)) {
            return;
        }
        String why = difference("gene", recorded.genes, now.genes);
        if (why == null) {
            why = difference("task", recorded.tasks, now.tasks);
        }
        if (why == null) {
            why = difference("objective", recorded.objectives, now.objectives);
        }
        throw new EvomergeException(runDir + ": the experiment no longer matches the run's recorded layout (" + why
                + "); its genomes would decode to other merges. Restore the experiment (config.yaml, task files, data) or start a new run");
    }

    private static String difference(String what, List<String> recorded, List<String> now) {
        for (int i = 0; i < Math.max(recorded.size(), now.size()); i++) {
            String a = i < recorded.size() ? recorded.get(i) : "(none)";
            String b = i < now.size() ? now.get(i) : "(none)";
            if (!a.equals(b)) {
                return what + " " + i + " was '" + a + "', is now '" + b + "'";
            }
        }
        return null;
    }
}
