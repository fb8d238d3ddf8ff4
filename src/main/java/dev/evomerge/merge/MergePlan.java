package dev.evomerge.merge;

import dev.evomerge.EvomergeException;
import dev.evomerge.model.Architecture;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.TensorInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A recipe turned into per-tensor work, before any tensor is read: for every output tensor, which tensor
 * of which model goes in, with every parameter resolved (scalars, gradients at the tensor's layer,
 * filters against its name). Every check a user can fail (missing or mismatched tensors, a missing
 * required parameter, a negative density) fails here, so nothing is written for a recipe that cannot be
 * merged. Weights that sum to zero under normalize are not refused: mergekit merges such a recipe dividing
 * by 1 instead, and so does this, with a warning ({@link #zeroWeightSumWarning}). The disk merge and the
 * in-memory merge run the same plan; mergekit's {@code plan.py} is the model for how slices and parameters
 * resolve.
 *
 * @param tasks          the output tensors in write order (embeddings, layers, then norm and head)
 * @param models         the recipe's model references in input order (index = a task's input index)
 * @param layerCount     the number of layers of the output
 * @param zeroWeightSums the output tensors, in write order, whose weights sum to zero under normalize, so that
 *                       their merge divides by 1 instead ({@link MergeMethod#dividesByOne})
 * @implNote immutable.
 */
public record MergePlan(List<TensorTask> tasks, List<String> models, int layerCount, List<String> zeroWeightSums) {
    /**
     * One output tensor.
     *
     * @param output      name, dtype (as written) and shape
     * @param inputs      per input: index into {@link MergePlan#models} and the tensor's name there
     * @param baseIndex   which of {@code inputs} is the base, or −1
     * @param merged      false for tensors copied from the reference model (integer tensors)
     */
    public record TensorTask(TensorInfo output, List<Input> inputs, int baseIndex, Map<String, Object> parameters,
                             List<Map<String, Object>> tensorParameters, double depth, long seed, boolean merged) {
        public TensorTask {
            inputs = List.copyOf(inputs);
            parameters = Map.copyOf(parameters);
            tensorParameters = List.copyOf(tensorParameters);
        }
    }

    public record Input(int model, String tensor) {
    }

    public MergePlan {
        tasks = List.copyOf(tasks);
        models = List.copyOf(models);
        zeroWeightSums = List.copyOf(zeroWeightSums);
    }

    public List<TensorInfo> outputs() {
        return tasks.stream().map(TensorTask::output).toList();
    }

    /**
     * One line for the log when some tensors' weights sum to zero under normalize (naming the first few), or
     * empty. Merges log it once per plan, never per tensor.
     */
    public Optional<String> zeroWeightSumWarning(MergeMethod method) {
        if (zeroWeightSums.isEmpty()) {
            return Optional.empty();
        }
        int shown = Math.min(3, zeroWeightSums.size());
        String names = String.join(", ", zeroWeightSums.subList(0, shown))
                + (zeroWeightSums.size() > shown ? ", and " + (zeroWeightSums.size() - shown) + " more" : "");
        boolean perElement = method instanceof TaskArithmetic ta && ta.consensus();
        return Optional.of(method.name() + ": the weights sum to zero with normalize on for " + zeroWeightSums.size() + " of "
                + tasks.stream().filter(TensorTask::merged).count() + " merged tensors (" + names + "); "
                + (perElement ? "where every model agrees, " : "") + "they are divided by 1 instead, as mergekit does");
    }

    /**
     * Plans {@code recipe} over {@code checkpoints} (opened, keyed by the recipe's model references).
     * The output keeps the reference model's dtype (the base, else the first model) unless the recipe
     * names one.
     */
    public static MergePlan of(MergeRecipe recipe, Map<String, ModelCheckpoint> checkpoints) {
        return new Planner(recipe, checkpoints).plan();
    }

    private static final class Planner {
        private final MergeRecipe recipe;
        private final MergeMethod method;
        private final Map<String, ModelCheckpoint> checkpoints;
        private final List<String> models = new ArrayList<>();
        private final ModelCheckpoint reference;
        private final DType outputType;
        private final List<TensorTask> tasks = new ArrayList<>();
        private final List<String> zeroWeightSums = new ArrayList<>();

        Planner(MergeRecipe recipe, Map<String, ModelCheckpoint> checkpoints) {
            this.recipe = recipe;
            this.method = recipe.method();
            this.checkpoints = checkpoints;
            this.models.addAll(recipe.referencedModels());
            for (String m : models) {
                if (!checkpoints.containsKey(m)) {
                    throw new IllegalArgumentException("model not opened: " + m);
                }
            }
            String referenceName = recipe.baseModel() != null ? recipe.baseModel()
                    : !recipe.models().isEmpty() ? recipe.models().getFirst().model()
                    : recipe.slices().getFirst().sources().getFirst().model();
            this.reference = checkpoints.get(referenceName);
            this.outputType = recipe.dtype() == null ? null : DType.fromRecipe(recipe.dtype());
        }

        /** One input of a tensor: which model, its parameters (slice-level first), and its tensor's name. */
        private record Source(String model, Map<String, ParameterSetting> parameters, String tensor) {
        }

        MergePlan plan() {
            if (!recipe.models().isEmpty()) {
                planModels();
                return new MergePlan(tasks, models, reference.architecture().layerCount(), zeroWeightSums);
            }
            int layers = planSlices();
            return new MergePlan(tasks, models, layers, zeroWeightSums);
        }

        /** {@code models:} every tensor of the reference, from every model; gradients over all layers. */
        private void planModels() {
            List<MergeRecipe.InputModel> inputs = new ArrayList<>(recipe.models());
            if (recipe.baseModel() != null && inputs.stream().noneMatch(m -> m.model().equals(recipe.baseModel()))) {
                inputs.add(new MergeRecipe.InputModel(recipe.baseModel(), Map.of()));
            }
            Architecture arch = reference.architecture();
            int layers = arch.layerCount();
            for (TensorInfo t : reference.weights().tensors()) {
                var layer = arch.layerOf(t.name());
                double position = layer.isPresent() ? (layers > 1 ? (double) layer.getAsInt() / (layers - 1) : 1) : 0;
                double depth = layer.isPresent() ? position : arch.moduleOf(t.name()).equals("embed") ? 0 : 1;
                List<Source> sources = inputs.stream().map(m -> new Source(m.model(), m.parameters(), t.name())).toList();
                addTask(t.name(), sources, Map.of(), position, depth);
            }
        }

        /** {@code slices:} embeddings from the first slice, layers slice by slice, the rest from the last. */
        private int planSlices() {
            Architecture arch = reference.architecture();
            List<MergeRecipe.OutputSlice> slices = recipe.slices();
            List<TensorInfo> nonLayer = reference.weights().tensors().stream()
                    .filter(t -> arch.layerOf(t.name()).isEmpty()).toList();
            for (TensorInfo t : nonLayer) {
                if (arch.moduleOf(t.name()).equals("embed")) {
                    addTask(t.name(), sourcesOf(slices.getFirst(), t.name()), slices.getFirst().parameters(), 0, 0);
                }
            }
            int outLayer = 0;
            for (MergeRecipe.OutputSlice slice : slices) {
                MergeRecipe.InputSlice first = slice.sources().getFirst();
                ModelCheckpoint firstModel = checkpoints.get(first.model());
                Architecture firstArch = firstModel.architecture();
                for (int offset = 0; offset < slice.length(); offset++) {
                    double t = slice.length() > 1 ? (double) offset / (slice.length() - 1) : 1;
                    int inLayer = first.from() + offset;
                    List<String> names = firstModel.weights().names().stream()
                            .filter(n -> firstArch.layerOf(n).orElse(-1) == inLayer).toList();
                    if (names.isEmpty()) {
                        throw new EvomergeException(first.model() + " has no layer " + inLayer
                                + " (slice layer_range [" + first.from() + ", " + first.to() + "))");
                    }
                    for (String name : names) {
                        String out = firstArch.renameLayer(name, outLayer);
                        List<Source> sources = new ArrayList<>();
                        for (MergeRecipe.InputSlice in : slice.sources()) {
                            Architecture a = checkpoints.get(in.model()).architecture();
                            sources.add(new Source(in.model(), in.parameters(), a.renameLayer(name, in.from() + offset)));
                        }
                        addTask(out, sources, slice.parameters(), t, (double) outLayer);
                    }
                    outLayer++;
                }
            }
            int layers = outLayer;
            // depth was the output layer index; now that the count is known, make it a fraction
            for (int i = 0; i < tasks.size(); i++) {
                TensorTask task = tasks.get(i);
                var layer = arch.layerOf(task.output().name());
                if (layer.isPresent()) {
                    tasks.set(i, withDepth(task, layers > 1 ? (double) layer.getAsInt() / (layers - 1) : 1));
                }
            }
            for (TensorInfo t : nonLayer) {
                if (!arch.moduleOf(t.name()).equals("embed")) {
                    addTask(t.name(), sourcesOf(slices.getLast(), t.name()), slices.getLast().parameters(), 0, 1);
                }
            }
            return layers;
        }

        private static TensorTask withDepth(TensorTask t, double depth) {
            return new TensorTask(t.output(), t.inputs(), t.baseIndex(), t.parameters(), t.tensorParameters(), depth, t.seed(), t.merged());
        }

        private List<Source> sourcesOf(MergeRecipe.OutputSlice slice, String tensor) {
            return slice.sources().stream().map(s -> new Source(s.model(), s.parameters(), tensor)).toList();
        }

        private void addTask(String outName, List<Source> sources, Map<String, ParameterSetting> sliceParameters,
                             double t, double depth) {
            List<Source> all = new ArrayList<>(sources);
            if (recipe.baseModel() != null && method.needsBase()
                    && all.stream().noneMatch(s -> s.model().equals(recipe.baseModel()))) {
                all.add(new Source(recipe.baseModel(), Map.of(), all.getFirst().tensor())); // the base at the sources' layer
            }
            TensorInfo shapeOf = null;
            List<Input> inputs = new ArrayList<>();
            int baseIndex = -1;
            ModelCheckpoint first = checkpoints.get(all.getFirst().model());
            if (first.weights().contains(all.getFirst().tensor()) && !first.weights().info(all.getFirst().tensor()).dtype().isFloat()) {
                // an integer tensor (position ids) is copied, not merged: the models that lack it need not have it
                all.removeIf(s -> !checkpoints.get(s.model()).weights().contains(s.tensor()));
            }
            for (int i = 0; i < all.size(); i++) {
                Source s = all.get(i);
                ModelCheckpoint model = checkpoints.get(s.model());
                if (!model.weights().contains(s.tensor())) {
                    throw new EvomergeException("tensor '" + s.tensor() + "' is missing from " + s.model()
                            + " (the models must share tensor names; see ./run.sh inspect)");
                }
                TensorInfo info = model.weights().info(s.tensor());
                if (shapeOf == null) {
                    shapeOf = info;
                } else if (!shapeOf.sameShape(info)) {
                    throw new EvomergeException("tensor '" + s.tensor() + "' has shape " + java.util.Arrays.toString(info.shape())
                            + " in " + s.model() + " but " + java.util.Arrays.toString(shapeOf.shape()) + " in " + all.getFirst().model());
                }
                if (s.model().equals(recipe.baseModel())) {
                    baseIndex = i;
                }
                inputs.add(new Input(models.indexOf(s.model()), s.tensor()));
            }
            boolean merged = shapeOf.dtype().isFloat();
            // the output is stored as the base stores it (else as the first input), unless the recipe says
            TensorInfo reference = baseIndex >= 0 ? checkpoints.get(all.get(baseIndex).model()).weights().info(all.get(baseIndex).tensor()) : shapeOf;
            DType type = merged && outputType != null ? outputType : reference.dtype();
            TensorInfo output = new TensorInfo(outName, type, shapeOf.shape());
            if (!merged) {
                // integer tensors (position ids and the like) are copied from the reference, as mergekit does
                int from = baseIndex >= 0 ? baseIndex : 0;
                tasks.add(new TensorTask(output, List.of(inputs.get(from)), -1, Map.of(), List.of(Map.of()), depth, 0, false));
                return;
            }
            Map<String, Object> parameters = new HashMap<>();
            for (ParameterDef def : method.parameters()) {
                resolve(def, null, sliceParameters, outName, t).ifPresent(v -> parameters.put(def.name(), v));
            }
            List<Map<String, Object>> perModel = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                Map<String, Object> values = new LinkedHashMap<>();
                for (ParameterDef def : method.tensorParameters()) {
                    boolean isBase = i == baseIndex;
                    Optional<Object> v = resolve(def, all.get(i).parameters(), sliceParameters, all.get(i).tensor(), t);
                    if (v.isEmpty() && def.required() && !isBase) {
                        throw new EvomergeException("missing required parameter '" + def.name() + "' for " + all.get(i).model()
                                + " (tensor " + all.get(i).tensor() + ")");
                    }
                    if (isBase && all.get(i).parameters().isEmpty() && def.required()) {
                        continue; // mergekit's base takes no weight unless one is given
                    }
                    v.ifPresent(x -> values.put(def.name(), x));
                }
                perModel.add(values);
            }
            validate(outName, parameters, perModel);
            TensorTask task = new TensorTask(output, inputs, baseIndex, parameters, perModel, depth, seed(outName), true);
            if (method.dividesByOne(MergeInput.parametersOnly(task))) {
                zeroWeightSums.add(outName);
            }
            tasks.add(task);
        }

        private Optional<Object> resolve(ParameterDef def, Map<String, ParameterSetting> modelParameters,
                                         Map<String, ParameterSetting> sliceParameters, String tensor, double t) {
            for (Map<String, ParameterSetting> level : java.util.Arrays.asList(modelParameters, sliceParameters, recipe.parameters())) {
                if (level != null && level.containsKey(def.name())) {
                    Optional<Object> v = level.get(def.name()).evaluate(tensor, t);
                    if (v.isPresent()) {
                        return v;
                    }
                }
            }
            if (def.required() && modelParameters == null) {
                throw new EvomergeException("missing required parameter '" + def.name() + "' of " + method.name()
                        + " (tensor " + tensor + ")");
            }
            return Optional.ofNullable(def.defaultValue());
        }

        private void validate(String tensor, Map<String, Object> parameters, List<Map<String, Object>> perModel) {
            for (Map<String, Object> p : perModel) {
                for (String key : p.keySet()) {
                    Object v = p.get(key);
                    if (!(v instanceof Number) && !key.equals("int8_mask")) {
                        throw new EvomergeException("parameter '" + key + "' must be a number, got '" + v + "' (tensor " + tensor + ")");
                    }
                }
                // as mergekit: 0 drops the task vector, 1 or more keeps all of it; below 0 mergekit fails or zeroes by method
                if (p.get("density") instanceof Number d && !(d.doubleValue() >= 0)) {
                    throw new EvomergeException("density " + d + " for tensor " + tensor + " is below 0 "
                            + "(0 drops a model's task vector, 1 keeps all of it)");
                }
            }
            for (String flag : new String[] {"normalize", "rescale", "int8_mask", "nuslerp_flatten", "nuslerp_row_wise", "filter_wise"}) {
                if (parameters.containsKey(flag) && !(parameters.get(flag) instanceof Boolean)) {
                    throw new EvomergeException("parameter '" + flag + "' must be true or false, got " + parameters.get(flag));
                }
            }
            for (String number : new String[] {"t", "lambda", "lines_alpha", "lines_beta"}) {
                if (parameters.containsKey(number) && !(parameters.get(number) instanceof Number)) {
                    throw new EvomergeException("parameter '" + number + "' must be a number, got " + parameters.get(number));
                }
            }
        }

        /** The recipe's seed mixed with the tensor's name: the same drops for the same recipe, on any device. */
        private long seed(String tensor) {
            long h = recipe.randomSeed() ^ 0x9E3779B97F4A7C15L;
            for (int i = 0; i < tensor.length(); i++) {
                h = (h ^ tensor.charAt(i)) * 0x100000001B3L;
            }
            h ^= h >>> 33;
            h *= 0xFF51AFD7ED558CCDL;
            return h ^ (h >>> 33);
        }
    }
}
