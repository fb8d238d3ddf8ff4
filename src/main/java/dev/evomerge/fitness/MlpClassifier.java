package dev.evomerge.fitness;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.model.CheckpointWriter;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A multi-layer perceptron classifier (ReLU between layers), the model family of the M2N2 digits
 * experiments: tensors {@code layers.N.weight} [out, in] and {@code layers.N.bias} [out], and a
 * config.json with {@code model_type: mlp} and {@code layer_sizes}. The forward pass takes the tensors as
 * it finds them (a source checkpoint or a merged candidate) and knows no task.
 *
 * @param layerSizes input size, hidden sizes, number of classes
 */
public record MlpClassifier(List<Integer> layerSizes) {
    public MlpClassifier {
        layerSizes = List.copyOf(layerSizes);
        if (layerSizes.size() < 2 || layerSizes.stream().anyMatch(s -> s < 1)) {
            throw new EvomergeException("an MLP needs at least an input and an output size, all positive: " + layerSizes);
        }
    }

    public static MlpClassifier of(Integer... sizes) {
        return new MlpClassifier(List.of(sizes));
    }

    public static MlpClassifier fromConfig(JsonNode config) {
        if (!"mlp".equals(config.path("model_type").asText()) || !config.path("layer_sizes").isArray()) {
            throw new EvomergeException("config.json is not an MLP's (model_type: mlp with layer_sizes)");
        }
        List<Integer> sizes = new ArrayList<>();
        config.get("layer_sizes").forEach(s -> sizes.add(s.asInt()));
        return new MlpClassifier(sizes);
    }

    public int layers() {
        return layerSizes.size() - 1;
    }

    public int classes() {
        return layerSizes.getLast();
    }

    /** The tensors, in order: weight then bias of each layer. */
    public List<TensorInfo> tensors() {
        List<TensorInfo> out = new ArrayList<>();
        for (int l = 0; l < layers(); l++) {
            out.add(TensorInfo.of("layers." + l + ".weight", DType.F32, layerSizes.get(l + 1), layerSizes.get(l)));
            out.add(TensorInfo.of("layers." + l + ".bias", DType.F32, layerSizes.get(l + 1)));
        }
        return out;
    }

    /** The number of parameters (19,210 for 64-256-10). */
    public int parameterCount() {
        return (int) tensors().stream().mapToLong(TensorInfo::numel).sum();
    }

    /** Logits [rows, classes] for inputs [rows, features]; arrays land in the inputs' manager. */
    public NDArray logits(Map<String, NDArray> tensors, NDArray inputs) {
        NDArray x = inputs;
        for (int l = 0; l < layers(); l++) {
            NDArray w = tensor(tensors, "layers." + l + ".weight");
            NDArray b = tensor(tensors, "layers." + l + ".bias");
            x = x.matMul(w.transpose()).add(b);
            if (l + 1 < layers()) {
                x = x.maximum(0f);
            }
        }
        return x;
    }

    private static NDArray tensor(Map<String, NDArray> tensors, String name) {
        NDArray t = tensors.get(name);
        if (t == null) {
            throw new EvomergeException("the model has no tensor " + name + " (not the MLP its config describes)");
        }
        return t;
    }

    /** 1 where the predicted class is the label, else 0, per row. */
    public double[] correct(Map<String, NDArray> tensors, NDArray inputs, NDArray labels) {
        NDArray predicted = logits(tensors, inputs).argMax(1);
        return predicted.eq(labels.toType(predicted.getDataType(), false)).toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Every parameter drawn from N(0, std²), seeded: the M2N2 paper's start (std 0.01). */
    public Map<String, float[]> initialize(long seed, double std) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, float[]> weights = new LinkedHashMap<>();
        for (TensorInfo t : tensors()) {
            float[] v = new float[(int) t.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * std);
            }
            weights.put(t.name(), v);
        }
        return weights;
    }

    /**
     * Full-batch training with Adam (β = 0.9, 0.999, ε = 1e-8) on the softmax cross-entropy, from
     * {@code start}; returns the trained weights. Deterministic: no sampling.
     */
    public Map<String, float[]> train(Map<String, float[]> start, LabelledData data, int epochs, double learningRate) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            Map<String, NDArray> m = new LinkedHashMap<>();
            Map<String, NDArray> v = new LinkedHashMap<>();
            for (TensorInfo t : tensors()) {
                NDArray p = manager.create(start.get(t.name()), new Shape(t.shape()));
                p.setRequiresGradient(true);
                params.put(t.name(), p);
                m.put(t.name(), p.zerosLike());
                v.put(t.name(), p.zerosLike());
            }
            NDArray x = manager.create(data.inputs(), new Shape(data.size(), data.features()));
            NDArray oneHot = manager.create(data.labels()).oneHot(classes());
            for (int step = 1; step <= epochs; step++) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.zeroGradients();
                    NDArray logProbabilities = logits(params, x).logSoftmax(1);
                    NDArray loss = logProbabilities.mul(oneHot).sum(new int[] {1}).mean().neg();
                    collector.backward(loss);
                }
                double correction1 = 1 - Math.pow(0.9, step);
                double correction2 = 1 - Math.pow(0.999, step);
                for (String name : params.keySet()) {
                    NDArray p = params.get(name);
                    NDArray g = p.getGradient();
                    m.get(name).muli(0.9).addi(g.mul(0.1));
                    v.get(name).muli(0.999).addi(g.square().muli(0.001));
                    NDArray step1 = m.get(name).div(correction1);
                    NDArray step2 = v.get(name).div(correction2).sqrt().addi(1e-8);
                    p.subi(step1.divi(step2).muli(learningRate));
                }
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            params.forEach((k, p) -> out.put(k, p.toFloatArray()));
            return out;
        }
    }

    public JsonNode config() {
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.put("model_type", "mlp");
        var sizes = config.putArray("layer_sizes");
        layerSizes.forEach(sizes::add);
        config.put("num_hidden_layers", layers());
        config.put("activation", "relu");
        return config;
    }

    /** Writes {@code weights} as a checkpoint directory (safetensors and config.json). */
    public Path write(Path dir, Map<String, float[]> weights, boolean overwrite) {
        try (CheckpointWriter writer = CheckpointWriter.create(dir, overwrite)) {
            try (SafetensorsWriter w = writer.weights(tensors(), Long.MAX_VALUE, Map.of("format", "pt"))) {
                for (TensorInfo t : tensors()) {
                    w.write(t.name(), weights.get(t.name()));
                }
                w.commit();
            }
            writer.writeFile("config.json", config().toPrettyString());
            return writer.commit();
        }
    }
}
