package dev.evomerge.experiment;

import dev.evomerge.EvomergeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * An append-only JSON-lines file of a run (evaluations.jsonl, heldout.jsonl): lines are appended and
 * fsynced before the checkpoint that counts them; a resumed run cuts the file back to the length its
 * checkpoint recorded and reads what is left, so lines written after the last checkpoint never count twice.
 */
final class JsonLines implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private long lines;

    private JsonLines(Path file, FileChannel channel, long lines) {
        this.file = file;
        this.channel = channel;
        this.lines = lines;
    }

    /** A new, empty file (an older one of that name is replaced). */
    static JsonLines create(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot replace: " + e.getMessage(), e);
        }
        return open(file, 0);
    }

    /**
     * The file cut back to {@code bytes} (what a checkpoint counted), its {@code lines} lines handed to
     * {@code reader} in order; a file shorter than that, or with another number of lines, is a damaged run.
     */
    static JsonLines resume(Path file, long lines, long bytes, java.util.function.Consumer<String> reader) {
        try {
            if (!Files.exists(file) && bytes == 0) {
                return open(file, 0);
            }
            if (!Files.exists(file) || Files.size(file) < bytes) {
                throw new EvomergeException(file + ": shorter than the checkpoint says (" + bytes + " bytes); the run directory is damaged");
            }
            try (FileChannel cut = FileChannel.open(file, StandardOpenOption.WRITE)) {
                cut.truncate(bytes);
                cut.force(true);
            }
            long read = 0;
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (String line; (line = in.readLine()) != null; read++) {
                    reader.accept(line);
                }
            }
            if (read != lines) {
                throw new EvomergeException(file + ": " + read + " lines where the checkpoint counts " + lines + "; the run directory is damaged");
            }
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read: " + e.getMessage(), e);
        }
        return open(file, lines);
    }

    private static JsonLines open(Path file, long lines) {
        try {
            return new JsonLines(file, FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND), lines);
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot open: " + e.getMessage(), e);
        }
    }

    /** Appends lines (each without its newline) and forces them to disk. */
    void append(List<String> newLines) {
        if (newLines.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        newLines.forEach(l -> text.append(l).append('\n'));
        try {
            ByteBuffer buffer = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
            lines += newLines.size();
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    long lines() {
        return lines;
    }

    long bytes() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read its size: " + e.getMessage(), e);
        }
    }

    /** Every line of a run's file, for readers of a finished or running run (no truncation). */
    static List<String> read(Path file) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new EvomergeException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // every line was forced when written
        }
    }
}
