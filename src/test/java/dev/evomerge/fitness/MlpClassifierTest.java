package dev.evomerge.fitness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.model.ModelCheckpoint;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MlpClassifierTest {
    @TempDir
    Path dir;

    private static final MlpClassifier MLP = MlpClassifier.of(64, 256, 10);

    private static Map<String, NDArray> onDevice(NDManager m, Map<String, float[]> w) {
        Map<String, NDArray> out = new HashMap<>();
        for (var t : MLP.tensors()) {
            out.put(t.name(), m.create(w.get(t.name()), new Shape(t.shape())));
        }
        return out;
    }

    /** The same network in plain double-precision Java. */
    private static double[] reference(Map<String, float[]> w, float[] x) {
        double[] h = new double[256];
        for (int j = 0; j < 256; j++) {
            double s = w.get("layers.0.bias")[j];
            for (int i = 0; i < 64; i++) {
                s += (double) w.get("layers.0.weight")[j * 64 + i] * x[i];
            }
            h[j] = Math.max(0, s);
        }
        double[] out = new double[10];
        for (int k = 0; k < 10; k++) {
            double s = w.get("layers.1.bias")[k];
            for (int j = 0; j < 256; j++) {
                s += w.get("layers.1.weight")[k * 256 + j] * h[j];
            }
            out[k] = s;
        }
        return out;
    }

    @Test
    void forwardMatchesAnIndependentReference() {
        Map<String, float[]> w = MLP.initialize(3, 0.3);
        assertEquals(19_210, MLP.parameterCount());
        float[] x = new float[3 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.37);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            float[] logits = MLP.logits(onDevice(m, w), m.create(x, new Shape(3, 64))).toFloatArray();
            for (int r = 0; r < 3; r++) {
                double[] expected = reference(w, java.util.Arrays.copyOfRange(x, r * 64, r * 64 + 64));
                for (int k = 0; k < 10; k++) {
                    assertEquals(expected[k], logits[r * 10 + k], 1e-4 * Math.max(1, Math.abs(expected[k])));
                }
            }
        }
    }

    @Test
    void trainingOnHalfTheDigitsLearnsThemAndTheCheckpointRoundTrips() {
        LabelledData[] split = Digits.split(0);
        LabelledData lowTrain = split[0].withLabels(Set.of(0, 1, 2, 3, 4));
        LabelledData lowTest = split[1].withLabels(Set.of(0, 1, 2, 3, 4));
        assertEquals(Digits.SIZE, split[0].size() + split[1].size());
        Map<String, float[]> init = MLP.initialize(1, 0.01);
        Map<String, float[]> trained = MLP.train(init, lowTrain, 30, 3e-3);
        Path written = MLP.write(dir.resolve("low"), trained, false);
        try (ModelCheckpoint ckpt = ModelCheckpoint.open(written); NDManager m = NDManager.newBaseManager()) {
            assertEquals(2, ckpt.architecture().layerCount());
            Map<String, float[]> read = new HashMap<>();
            for (var t : MLP.tensors()) {
                read.put(t.name(), ckpt.weights().readFloats(t.name()));
                assertArrayEquals(trained.get(t.name()), read.get(t.name()));
            }
            NDArray x = m.create(lowTest.inputs(), new Shape(lowTest.size(), 64));
            NDArray y = m.create(lowTest.labels());
            double before = java.util.Arrays.stream(MLP.correct(onDevice(m, init), x, y)).average().orElseThrow();
            double after = java.util.Arrays.stream(MlpClassifier.fromConfig(ckpt.config()).correct(onDevice(m, read), x, y)).average().orElseThrow();
            assertTrue(after > 0.85 && after > before + 0.4, "accuracy on held-out 0–4: " + before + " → " + after);
        }
    }
}
