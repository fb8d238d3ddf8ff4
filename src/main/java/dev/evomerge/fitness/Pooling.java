package dev.evomerge.fitness;

import dev.evomerge.DidYouMean;
import dev.evomerge.EvomergeException;
import java.util.Arrays;
import java.util.Locale;

/**
 * How a text embedding is read from an encoder's last hidden states, as each model's card prescribes: the
 * first token's state ({@code cls}: BGE) or the mean over the text's tokens ({@code mean}: E5).
 */
public enum Pooling {
    CLS, MEAN;

    public static Pooling named(String name) {
        for (Pooling p : values()) {
            if (p.label().equals(name)) {
                return p;
            }
        }
        throw new EvomergeException("pooling must be cls or mean, got '" + name + "'"
                + DidYouMean.suggest(name, Arrays.stream(values()).map(Pooling::label).toList()));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The embedding of sequence {@code row} of a batch's hidden states ({@code [batch, positions, width]}, flat),
     * whose first {@code length} positions are the text's tokens (the rest padding).
     */
    float[] pool(float[] hidden, int row, int positions, int width, int length) {
        float[] out = new float[width];
        int base = row * positions * width;
        if (this == CLS) {
            System.arraycopy(hidden, base, out, 0, width);
            return out;
        }
        double[] sum = new double[width];
        for (int t = 0; t < length; t++) {
            for (int j = 0; j < width; j++) {
                sum[j] += hidden[base + t * width + j];
            }
        }
        for (int j = 0; j < width; j++) {
            out[j] = (float) (sum[j] / length);
        }
        return out;
    }
}
