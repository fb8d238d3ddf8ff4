package dev.evomerge.model;

import dev.evomerge.tensor.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whether several models can be merged (the same float tensor names and shapes; dtypes may differ, merges
 * compute in f32; integer tensors such as position ids are copied from the base, so one model may have one
 * that another lacks), and how far each is from the first: the relative L2 distance
 * {@code ‖θ − θ₀‖ / ‖θ₀‖} per layer, with non-layer tensors under {@code -1}.
 *
 * @param differences one line per mismatch, empty when the models can be merged
 * @param distances   per model after the first: layer → relative L2 distance (empty when not mergeable)
 */
public record Compatibility(List<String> differences, List<Map<Integer, Double>> distances) {
    public Compatibility {
        differences = List.copyOf(differences);
        distances = List.copyOf(distances);
    }

    public boolean mergeable() {
        return differences.isEmpty();
    }

    /** Compares {@code models} with the first, reading float tensors one at a time. */
    public static Compatibility of(List<ModelCheckpoint> models) {
        ModelCheckpoint first = models.getFirst();
        List<String> differences = new ArrayList<>();
        for (ModelCheckpoint other : models.subList(1, models.size())) {
            differences.addAll(differencesBetween(first, other));
        }
        if (!differences.isEmpty()) {
            return new Compatibility(differences, List.of());
        }
        List<Map<Integer, Double>> distances = new ArrayList<>();
        for (ModelCheckpoint other : models.subList(1, models.size())) {
            Map<Integer, double[]> sums = new TreeMap<>(); // layer → {‖Δ‖², ‖θ₀‖²}
            for (TensorInfo t : first.weights().tensors()) {
                if (!t.dtype().isFloat() || t.numel() > Integer.MAX_VALUE - 8) {
                    continue;
                }
                float[] a = first.weights().readFloats(t.name());
                float[] b = other.weights().readFloats(t.name());
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < a.length; i++) {
                    double d = (double) b[i] - a[i];
                    diff += d * d;
                    norm += (double) a[i] * a[i];
                }
                double[] sum = sums.computeIfAbsent(first.architecture().layerOf(t.name()).orElse(-1), k -> new double[2]);
                sum[0] += diff;
                sum[1] += norm;
            }
            Map<Integer, Double> perLayer = new TreeMap<>();
            sums.forEach((layer, s) -> perLayer.put(layer, s[1] == 0 ? (s[0] == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(s[0] / s[1])));
            distances.add(perLayer);
        }
        return new Compatibility(List.of(), distances);
    }

    private static List<String> differencesBetween(ModelCheckpoint a, ModelCheckpoint b) {
        List<String> out = new ArrayList<>();
        for (TensorInfo t : a.weights().tensors()) {
            if (!t.dtype().isFloat() && !b.weights().contains(t.name())) {
                continue; // integer tensors (position ids) are copied from the base, not merged
            }
            if (!b.weights().contains(t.name())) {
                out.add(t.name() + ": in " + a.name() + ", missing from " + b.name());
            } else if (!t.sameShape(b.weights().info(t.name()))) {
                out.add(t.name() + ": shape " + java.util.Arrays.toString(t.shape()) + " in " + a.name() + ", "
                        + java.util.Arrays.toString(b.weights().info(t.name()).shape()) + " in " + b.name());
            } else if (t.dtype().isFloat() != b.weights().info(t.name()).dtype().isFloat()) {
                out.add(t.name() + ": " + t.dtype() + " in " + a.name() + ", " + b.weights().info(t.name()).dtype() + " in " + b.name());
            }
        }
        for (String name : b.weights().names()) {
            if (!a.weights().contains(name) && b.weights().info(name).dtype().isFloat()) {
                out.add(name + ": in " + b.name() + ", missing from " + a.name());
            }
        }
        return out;
    }
}
