package dev.evomerge.merge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.model.ModelCheckpoint;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The source models of a search, resident on the device: the base's tensors and every other model's task
 * vector (θᵢ − θ_base), computed once. Candidates are then merged from them in memory, tensor by tensor,
 * with no disk access ({@link #materialize}).
 *
 * <p>Everything lives on one manager that is capped once loaded: an operation that would attach a new
 * array to it (a leak: hour 7 of a search is no time to find out) fails at once instead. Candidates take
 * zero-copy views of the sources in their own scope.
 *
 * @implNote materialize may be called from one thread at a time; it parallelizes across tensors itself.
 */
public final class MergeSources implements AutoCloseable {
    private final Map<String, ModelCheckpoint> checkpoints;
    private final String base;
    private final NDManager manager;
    /** model reference → tensor name → base tensor (for the base) or task vector (for the others). */
    private final Map<String, Map<String, NDArray>> arrays;

    private MergeSources(Map<String, ModelCheckpoint> checkpoints, String base, NDManager manager,
                         Map<String, Map<String, NDArray>> arrays) {
        this.checkpoints = checkpoints;
        this.base = base;
        this.manager = manager;
        this.arrays = arrays;
    }

    /**
     * Loads every float tensor of the models (keyed by the references recipes use) onto {@code device}:
     * the base as it is and the others as task vectors against it; without a base, every model as it is.
     * The checkpoints stay open (their metadata plans merges) and are closed with this.
     */
    public static MergeSources load(Map<String, ModelCheckpoint> checkpoints, String base, Device device) {
        if (base != null && !checkpoints.containsKey(base)) {
            throw new IllegalArgumentException("base " + base + " is not among the models");
        }
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Map<String, Map<String, NDArray>> arrays = new LinkedHashMap<>();
            for (var entry : checkpoints.entrySet()) {
                ModelCheckpoint model = entry.getValue();
                boolean isBase = entry.getKey().equals(base);
                Map<String, NDArray> tensors = new HashMap<>();
                for (var info : model.weights().tensors()) {
                    if (!info.dtype().isFloat()) {
                        continue;
                    }
                    float[] values;
                    if (base == null || isBase) {
                        values = model.weights().readFloats(info.name());
                    } else {
                        ModelCheckpoint b = checkpoints.get(base);
                        if (!b.weights().contains(info.name()) || !b.weights().info(info.name()).sameShape(info)) {
                            throw new EvomergeException("tensor '" + info.name() + "' of " + entry.getKey()
                                    + " has no counterpart of the same shape in the base " + base);
                        }
                        values = model.weights().readDifference(info.name(), b.weights().readFloats(info.name()));
                    }
                    tensors.put(info.name(), manager.create(values, new Shape(info.shape())));
                }
                arrays.put(entry.getKey(), tensors);
            }
            manager.cap();
            return new MergeSources(Map.copyOf(checkpoints), base, manager, arrays);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public Device device() {
        return manager.getDevice();
    }

    /** The opened checkpoints, by reference. */
    public Map<String, ModelCheckpoint> checkpoints() {
        return checkpoints;
    }

    /**
     * Merges {@code recipe} in memory: every tensor of the candidate is made in {@code scope} (which the
     * caller closes when the candidate has been evaluated); intermediate arrays are freed tensor by tensor.
     * Integer tensors are shared views of the reference model's.
     */
    public Candidate materialize(MergeRecipe recipe, NDManager scope) {
        for (String m : recipe.referencedModels()) {
            if (!checkpoints.containsKey(m)) {
                throw new EvomergeException("recipe names model '" + m + "', which is not among the loaded sources " + checkpoints.keySet());
            }
        }
        if (recipe.method().needsBase() && !recipe.baseModel().equals(base)) {
            throw new EvomergeException("recipe's base_model " + recipe.baseModel() + " is not the sources' base " + base);
        }
        MergePlan plan = MergePlan.of(recipe, checkpoints);
        MergeMethod method = recipe.method();
        NDArray[] out = new NDArray[plan.tasks().size()];
        java.util.stream.IntStream.range(0, out.length).parallel().forEach(k -> {
            MergePlan.TensorTask task = plan.tasks().get(k);
            out[k] = task.merged() ? mergeOne(plan, task, method, scope) : copyOf(plan, task, scope);
        });
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (int k = 0; k < out.length; k++) {
            out[k].setName(plan.tasks().get(k).output().name());
            tensors.put(plan.tasks().get(k).output().name(), out[k]);
        }
        ModelCheckpoint reference = checkpoints.get(base != null ? base : recipe.referencedModels().getFirst());
        ObjectNode config = (ObjectNode) reference.config();
        if (config.has("num_hidden_layers")) {
            config.put("num_hidden_layers", plan.layerCount());
        }
        return new Candidate(tensors, config, reference.architecture());
    }

    private NDArray copyOf(MergePlan plan, MergePlan.TensorTask task, NDManager scope) {
        MergePlan.Input in = task.inputs().getFirst();
        ModelCheckpoint model = checkpoints.get(plan.models().get(in.model()));
        var info = model.weights().info(in.tensor());
        var bytes = model.weights().raw(in.tensor()).asByteBuffer();
        return scope.create(bytes, new Shape(info.shape()), switch (info.dtype()) {
            case I64 -> ai.djl.ndarray.types.DataType.INT64;
            case I32 -> ai.djl.ndarray.types.DataType.INT32;
            case I8 -> ai.djl.ndarray.types.DataType.INT8;
            case U8 -> ai.djl.ndarray.types.DataType.UINT8;
            case BOOL -> ai.djl.ndarray.types.DataType.BOOLEAN;
            default -> throw new EvomergeException("cannot hold " + info.dtype() + " tensor " + in.tensor() + " in memory");
        });
    }

    private NDArray mergeOne(MergePlan plan, MergePlan.TensorTask task, MergeMethod method, NDManager scope) {
        if (method instanceof TaskArithmetic ta && base != null && task.baseIndex() >= 0 && manager.getDevice().getDeviceType().equals(ai.djl.Device.Type.CPU)) {
            // on a CPU, the streamed kernel, as the disk merge uses it: the same bits either way
            MergeInput params = MergeInput.parametersOnly(task);
            float[] baseValues = arrays.get(base).get(task.inputs().get(task.baseIndex()).tensor()).toFloatArray();
            java.util.List<float[]> taskVectors = new java.util.ArrayList<>();
            for (int i : params.others()) {
                MergePlan.Input in = task.inputs().get(i);
                taskVectors.add(arrays.get(plan.models().get(in.model())).get(in.tensor()).toFloatArray());
            }
            float[] merged = TaskArithmeticKernel.merge(ta, params, baseValues, taskVectors, task.output().shape());
            return scope.create(merged, new Shape(task.output().shape()));
        }
        try (NDManager work = scope.newSubManager()) {
            int size = task.inputs().size();
            String[] models = new String[size];
            NDArray[] stored = new NDArray[size];
            for (int i = 0; i < size; i++) {
                MergePlan.Input in = task.inputs().get(i);
                models[i] = plan.models().get(in.model());
                stored[i] = view(models[i], in.tensor(), work);
            }
            MergeInput input = new MergeInput(task.output().name(), size, task.baseIndex(), task.parameters(),
                    task.tensorParameters(), task.depth(), task.seed(), work,
                    i -> base == null || models[i].equals(base) ? stored[i]
                            : view(base, task.inputs().get(i).tensor(), work).add(stored[i]),
                    i -> {
                        if (base == null) {
                            throw new EvomergeException(method.name() + " needs a base model among the sources");
                        }
                        return stored[i];
                    });
            NDArray result = method.merge(input);
            result.attach(scope);
            return result;
        }
    }

    /**
     * A zero-copy view of a stored array in {@code work}: operations on it create arrays there, never on the
     * capped sources' manager.
     */
    private NDArray view(String model, String tensor, NDManager work) {
        NDArray stored = arrays.get(model).get(tensor);
        if (stored == null) {
            throw new EvomergeException("source " + model + " has no float tensor " + tensor);
        }
        return stored.get(work, new NDIndex());
    }

    @Override
    public void close() {
        manager.close();
        checkpoints.values().forEach(ModelCheckpoint::close);
    }
}
