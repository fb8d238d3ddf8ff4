package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.model.Architecture;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One merged model in memory: its tensors by name, on the evaluator's device, and the config.json that
 * describes it (the base's, with the layer count of the merge). A data-flow candidate also has a layer
 * program over this model (model 0) and {@code others} (models 1, 2, …); a plain merge has none.
 *
 * <p>The tensors belong to the scope manager given to {@link MergeSources#materialize}; closing that
 * scope frees them, so a candidate must not be used after it. Tensors are read-only: an evaluator that
 * changed one in place would change the candidate.
 */
public record Candidate(Map<String, NDArray> tensors, JsonNode config, Architecture architecture, List<Map<String, NDArray>> others,
                        LayerProgram program) {
    public Candidate {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        config = config.deepCopy();
        others = List.copyOf(others);
    }

    /** A plain merge: no layer program. */
    public Candidate(Map<String, NDArray> tensors, JsonNode config, Architecture architecture) {
        this(tensors, config, architecture, List.of(), null);
    }

    /** The same candidate routed by {@code routing} through itself (model 0) and {@code sources} (models 1…). */
    public Candidate routed(List<Map<String, NDArray>> sources, LayerProgram routing) {
        return new Candidate(tensors, config, architecture, sources, routing);
    }

    /** Every model the program may name: this one, then the others. */
    public List<Map<String, NDArray>> models() {
        List<Map<String, NDArray>> all = new java.util.ArrayList<>();
        all.add(tensors);
        all.addAll(others);
        return all;
    }

    /** A checkpoint on disk as a candidate: its float tensors created in {@code scope} (which frees them). */
    public static Candidate load(dev.evomerge.model.ModelCheckpoint checkpoint, ai.djl.ndarray.NDManager scope) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (var info : checkpoint.weights().tensors()) {
            if (info.dtype().isFloat()) {
                tensors.put(info.name(), scope.create(checkpoint.weights().readFloats(info.name()), new ai.djl.ndarray.types.Shape(info.shape())));
            }
        }
        return new Candidate(tensors, checkpoint.config(), checkpoint.architecture());
    }

    public NDArray tensor(String name) {
        NDArray t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("candidate has no tensor " + name);
        }
        return t;
    }
}
