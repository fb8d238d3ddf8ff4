package dev.evomerge.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The scratch folder of a benchmark: the one given (kept), or a temporary one removed afterwards. */
final class BenchDirectory {
    private BenchDirectory() {
    }

    interface Work<T> {
        T run(Path dir) throws IOException;
    }

    static <T> T use(String prefix, Path given, Work<T> work) throws IOException {
        Path dir = given != null ? Files.createDirectories(given) : Files.createTempDirectory(prefix);
        try {
            return work.run(dir);
        } finally {
            if (given == null) {
                dev.evomerge.tensor.AtomicFiles.deleteTree(dir);
            }
        }
    }
}
