package dev.evomerge.merge;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.model.Architecture;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model in memory as it is scored: its float tensors by name, as f32 on the evaluator's device, and the
 * config.json that describes it (for a merge the base's, with the layer count of the merge). A routed
 * candidate is the plain model its layer program folds into ({@link LayerProgramFold}).
 *
 * <p>The tensors belong to the scope manager given to {@link MergeSources#materialize}; closing that
 * scope frees them, so a candidate must not be used after it. Tensors are read-only: an evaluator that
 * changed one in place would change the candidate.
 */
public record Candidate(Map<String, NDArray> tensors, JsonNode config, Architecture architecture) {
    public Candidate {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        config = config.deepCopy();
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
