package dev.evomerge.experiment;

import dev.evomerge.fitness.Digits;
import dev.evomerge.fitness.MlpClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The tests' real merge problem: under {@code dir}, {@code models/init} and two digit classifiers trained from
 * it, {@code models/low} on the digits 0-4 and {@code models/high} on 5-9, and a task per half
 * ({@code tasks/low.yaml}, {@code tasks/high.yaml}, each on the test split).
 */
public final class DigitsHalves {
    private DigitsHalves() {
    }

    public static void write(Path dir, MlpClassifier mlp, int epochs) throws IOException {
        var train = Digits.split(0)[0];
        Map<String, float[]> init = mlp.initialize(1, 0.01);
        mlp.write(dir.resolve("models/init"), init, false);
        mlp.write(dir.resolve("models/low"), mlp.train(init, train.withLabels(Set.of(0, 1, 2, 3, 4)), epochs, 3e-3), false);
        mlp.write(dir.resolve("models/high"), mlp.train(init, train.withLabels(Set.of(5, 6, 7, 8, 9)), epochs, 3e-3), false);
        Files.createDirectories(dir.resolve("tasks"));
        Files.writeString(dir.resolve("tasks/low.yaml"), "kind: classification\ndataset: digits\nsplit: test\nlabels: [0, 1, 2, 3, 4]\n");
        Files.writeString(dir.resolve("tasks/high.yaml"), "kind: classification\ndataset: digits\nsplit: test\nlabels: [5, 6, 7, 8, 9]\n");
    }
}
