package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A run directory's files with their timings taken out ({@code seconds}, the only field that may differ
 * between two runs that made the same evaluations), for tests that compare runs.
 */
public final class UntimedRunFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private UntimedRunFiles() {
    }

    /** Asserts that two runs made the same evaluations, held-out scores and front, timings aside. */
    public static void assertSameRun(Path expected, Path actual, String label) throws IOException {
        org.junit.jupiter.api.Assertions.assertEquals(evaluations(expected), evaluations(actual), label + ": " + RunDirectory.LOG);
        org.junit.jupiter.api.Assertions.assertEquals(heldout(expected), heldout(actual), label + ": " + RunDirectory.HELDOUT);
        org.junit.jupiter.api.Assertions.assertEquals(front(expected), front(actual), label + ": " + RunDirectory.PARETO);
    }

    /** evaluations.jsonl, a line per evaluation. */
    static List<String> evaluations(Path run) throws IOException {
        return lines(run.resolve(RunDirectory.LOG));
    }

    /** heldout.jsonl, a line per front point scored on the held-out split; empty when the run has none. */
    static List<String> heldout(Path run) throws IOException {
        Path file = run.resolve(RunDirectory.HELDOUT);
        return Files.exists(file) ? lines(file) : List.of();
    }

    /** pareto.json. */
    static String front(Path run) throws IOException {
        JsonNode root = JSON.readTree(run.resolve(RunDirectory.PARETO).toFile());
        root.get("front").forEach(e -> ((ObjectNode) e).remove("seconds"));
        return root.toPrettyString();
    }

    private static List<String> lines(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            ObjectNode node = (ObjectNode) JSON.readTree(line);
            node.remove("seconds");
            out.add(node.toString());
        }
        return out;
    }
}
