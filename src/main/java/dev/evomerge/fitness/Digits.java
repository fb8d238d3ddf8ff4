package dev.evomerge.fitness;

import dev.evomerge.EvomergeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * sklearn's digits: 1,797 images of 8 × 8 pixels (0–16, scaled here to [0, 1]) with their digit. Fetched
 * from Debian's python3-sklearn package by {@code fitness/fetch-digits.sh}, which checks it and caches it
 * outside the repository; loading runs the script when the cache is empty.
 */
public final class Digits {
    public static final int FEATURES = 64;
    public static final int SIZE = 1797;

    private Digits() {
    }

    /** All 1,797 digits. */
    public static LabelledData load() {
        return read(fetch());
    }

    /** One part of the seeded 60/20/20 split that tasks read ({@link DataSplit}); models are trained on {@code train}. */
    public static LabelledData part(DataSplit split, long seed) {
        LabelledData all = load();
        return all.rows(split.select(all.size(), seed));
    }

    /** The seeded 80/20 split of the M2N2 experiments: {train, test}. */
    public static LabelledData[] split(long seed) {
        return load().split(seed, 0.8);
    }

    /** The split of the paper's code: the first 80 % of the file's rows train, the last 20 % test. */
    public static LabelledData[] orderedSplit() {
        LabelledData all = load();
        int cut = (int) (all.size() * 0.8);
        return new LabelledData[] {all.rows(java.util.stream.IntStream.range(0, cut).toArray()),
                all.rows(java.util.stream.IntStream.range(cut, all.size()).toArray())};
    }

    /** Runs the fetch script (a no-op when the checked file is cached) and returns the file's path. */
    public static Path fetch() {
        Path script = home().resolve("fitness").resolve("fetch-digits.sh");
        if (!Files.isRegularFile(script)) {
            throw new EvomergeException("cannot find fitness/fetch-digits.sh under " + home() + " (set -Devomerge.home to the repository)");
        }
        try {
            Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                throw new EvomergeException("fetching the digits failed: " + out);
            }
            return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new EvomergeException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EvomergeException("interrupted while fetching the digits");
        }
    }

    /** The repository (for the fetch scripts): {@code -Devomerge.home}, set by run.sh, else the working directory. */
    static Path home() {
        return Path.of(System.getProperty("evomerge.home", "."));
    }

    static LabelledData read(Path csvGz) {
        List<float[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(csvGz)), StandardCharsets.US_ASCII))) {
            int lineNumber = 0;
            for (String line; (line = reader.readLine()) != null; ) {
                lineNumber++;
                String[] cells = line.split(",");
                if (cells.length != FEATURES + 1) {
                    throw new EvomergeException(csvGz + ":" + lineNumber + ": expected 65 values, found " + cells.length);
                }
                float[] x = new float[FEATURES];
                for (int i = 0; i < FEATURES; i++) {
                    x[i] = Float.parseFloat(cells[i]) / 16f;
                }
                rows.add(x);
                labels.add((int) Float.parseFloat(cells[FEATURES]));
            }
        } catch (IOException | NumberFormatException e) {
            throw new EvomergeException(csvGz + ": unreadable: " + e.getMessage(), e);
        }
        float[] flat = new float[rows.size() * FEATURES];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * FEATURES, FEATURES);
        }
        return new LabelledData(flat, labels.stream().mapToInt(Integer::intValue).toArray(), FEATURES);
    }
}
