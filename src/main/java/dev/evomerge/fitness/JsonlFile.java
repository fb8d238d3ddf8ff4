package dev.evomerge.fitness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.EvomergeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A task's data file: one JSON object per line (blank lines skipped), each with where it is, for messages. */
final class JsonlFile {
    /** One line's JSON, and {@code file:number: } to start a message about it. */
    record Line(JsonNode node, String where) {
    }

    private JsonlFile() {
    }

    /** Every non-blank line of {@code file}, parsed; a line that is not JSON is an error naming it; no line at all is one too. */
    static List<Line> read(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<Line> lines = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int number = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + ":" + number + ": ";
                try {
                    lines.add(new Line(json.readTree(line), where));
                } catch (IOException e) {
                    throw new EvomergeException(where + "not valid JSON");
                }
            }
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (lines.isEmpty()) {
            throw new EvomergeException(file + ": no datapoints");
        }
        return lines;
    }
}
