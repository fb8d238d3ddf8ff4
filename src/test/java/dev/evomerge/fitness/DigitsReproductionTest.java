package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.tensor.TensorInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
        {
            DigitsReproduction reproduction = new DigitsReproduction(mlp, data, data);
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
    void plainJavaLogitsMatchTheEngineOnRealDigits() {
        LabelledData train = Digits.split(0)[0].scaled(16);
        MlpClassifier mlp = MlpClassifier.of(64, 256, 10);
        Random random = new Random(5);
        double[] flat = new double[mlp.parameterCount()];
        for (int i = 0; i < flat.length; i++) {
            flat[i] = random.nextGaussian() * 0.05;
        }
        float[][] java = new MlpForward(mlp, train).logits(flat);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            int offset = 0;
            for (TensorInfo t : mlp.tensors()) {
                float[] v = new float[(int) t.numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) flat[offset++];
                }
                tensors.put(t.name(), manager.create(v, new Shape(t.shape())));
            }
            float[] engine = mlp.logits(tensors, manager.create(train.inputs(), new Shape(train.size(), 64))).toFloatArray();
            assertEquals(train.size(), java.length, "every row, across a partial last block");
            for (int r = 0; r < java.length; r++) {
                for (int c = 0; c < 10; c++) {
                    assertEquals(engine[r * 10 + c], java[r][c], 1e-4 * Math.max(1, Math.abs(engine[r * 10 + c])), "row " + r + " class " + c);
                }
            }
        }
    }

    @Test
    void outcomesCarryAccuracyOnAllOddAndEvenDigits() {
        LabelledData data = new LabelledData(new float[4], new int[] {1, 2, 3, 4}, 1);
        DigitsReproduction d = new DigitsReproduction(MlpClassifier.of(1, 2, 5), data, data);
        assertArrayEquals(new double[] {0.5, 1.0, 0.0}, d.outcome(new double[] {1, 0, 1, 0}).objectives(), 1e-12);
    }

    @Test
    void m2n2OnRealDigitsIsSeededAndLearns() {
        ObjectNode h = new ObjectMapper().createObjectNode().put("population", 10).put("init_std", 0.01).put("mutation_std", 0.01);
        DigitsReproduction digits = DigitsReproduction.ofDigits(0L, true);
        DigitsReproduction.RunResult a = digits.run("M2N2", "m2n2", h, 10, 7, 300, List.of(), n -> { });
        DigitsReproduction.RunResult b = digits.run("M2N2", "m2n2", h, 10, 7, 300, List.of(), n -> { });
        assertEquals(300, a.passes());
        assertEquals(a.testAccuracy(), b.testAccuracy());
        assertEquals(a.trainAccuracy(), b.trainAccuracy());
        // ten classes: a chance-level start is ~10 %; 300 passes of M2N2 get well above it
        assertTrue(a.trainAccuracy() > 0.2, "train accuracy " + a.trainAccuracy());
    }

    @Test
    void trainedHalvesEachKnowTheirOwnDigits() {
        DigitsReproduction digits = DigitsReproduction.ofDigits(0L, true);
        List<Genome> halves = digits.trainedHalves(42, 0.01, 10, 0.003);
        double[] low = digits.correct(halves.get(0), true);
        double[] high = digits.correct(halves.get(1), true);
        LabelledData test = Digits.split(0)[1];
        double lowOnLow = 0;
        double lowOnHigh = 0;
        int lows = 0;
        for (int r = 0; r < test.size(); r++) {
            if (test.label(r) < 5) {
                lowOnLow += low[r];
                lows++;
            } else {
                lowOnHigh += low[r];
            }
        }
        assertTrue(lowOnLow / lows > 0.8, "the 0–4 model on digits 0–4: " + lowOnLow / lows);
        assertEquals(0, lowOnHigh, "it never predicts a class it was not trained on");
        assertTrue(DigitsReproduction.mean(high) > 0.35, "the 5–9 model on all digits: " + DigitsReproduction.mean(high));
    }
}
