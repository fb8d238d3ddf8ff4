package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.genome.Genome;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DigitsReproductionTest {
    @Test
    void flatGenomeScoresLikeAPlainDoubleForwardPass() {
        Random random = new Random(3);
        int rows = 12;
        float[] inputs = new float[rows * 4];
        int[] labels = new int[rows];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = (float) random.nextGaussian();
        }
        for (int r = 0; r < rows; r++) {
            labels[r] = random.nextInt(3);
        }
        LabelledData data = new LabelledData(inputs, labels, 4);
        MlpClassifier mlp = MlpClassifier.of(4, 5, 3);
        double[] flat = new double[mlp.parameterCount()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = (float) random.nextGaussian();
        }
        try (DigitsReproduction reproduction = new DigitsReproduction(mlp, data, data)) {
            double[] correct = reproduction.correct(Genome.of(flat), false);
            for (int r = 0; r < rows; r++) {
                // layout: W0 [5,4], b0 [5], W1 [3,5], b1 [3]
                double[] hidden = new double[5];
                for (int o = 0; o < 5; o++) {
                    double s = flat[20 + o];
                    for (int i = 0; i < 4; i++) {
                        s += flat[o * 4 + i] * inputs[r * 4 + i];
                    }
                    hidden[o] = Math.max(0, s);
                }
                int best = 0;
                double bestLogit = Double.NEGATIVE_INFINITY;
                for (int o = 0; o < 3; o++) {
                    double s = flat[25 + 15 + o];
                    for (int i = 0; i < 5; i++) {
                        s += flat[25 + o * 5 + i] * hidden[i];
                    }
                    if (s > bestLogit) {
                        bestLogit = s;
                        best = o;
                    }
                }
                assertEquals(best == labels[r] ? 1.0 : 0.0, correct[r], "row " + r);
            }
        }
    }

    @Test
    void m2n2OnRealDigitsIsSeededAndLearns() {
        ObjectNode h = new ObjectMapper().createObjectNode().put("population", 10).put("init_std", 0.01).put("mutation_std", 0.01);
        try (DigitsReproduction digits = DigitsReproduction.ofDigits(0)) {
            DigitsReproduction.RunResult a = digits.run("m2n2", h, 1.0, 7, 120);
            DigitsReproduction.RunResult b = digits.run("m2n2", h, 1.0, 7, 120);
            assertEquals(120, a.passes());
            assertEquals(a.testAccuracy(), b.testAccuracy());
            assertEquals(a.trainAccuracy(), b.trainAccuracy());
            // ten classes: a chance-level start is ~10 %; 110 children of M2N2 get well above it
            org.junit.jupiter.api.Assertions.assertTrue(a.trainAccuracy() > 0.15, "train accuracy " + a.trainAccuracy());
        }
    }
}
