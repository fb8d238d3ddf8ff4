package dev.evomerge.merge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.model.CheckpointWriter;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.OnnxModel;
import dev.evomerge.tensor.SafetensorsWriter;
import dev.evomerge.tensor.StoredTensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code merge} command's engine: a recipe merged from checkpoints on disk into a new checkpoint
 * directory, tensor by tensor.
 *
 * <p>Plan, then run: the whole recipe is planned (and every user error raised) before the output is
 * created; then tensors are read, merged on the device and written straight into their planned place in
 * the output shards, a few at a time in parallel, in plan order while the disk reads the next ones' inputs
 * and writes the finished ones ({@link DiskOverlap}). Memory holds only the tensors in flight, so models
 * larger than the heap merge. The output is written to a temporary directory and renamed into place when
 * complete: weights, config.json (the base's, with the merged layer count), the tokenizer and other files
 * of the base, the recipe in the safetensors metadata and a README model card. When the base is an ONNX model
 * the weights are then written as a copy of its model.onnx with the merged initializers (no config.json).
 */
public final class MergeEngine {
    private static final Logger LOG = LoggerFactory.getLogger(MergeEngine.class);
    /** Hugging Face's default shard size. */
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    private MergeEngine() {
    }

    /** Options of a disk merge. */
    public record Options(Device device, long maxShardBytes, int parallelism, boolean overwrite) {
        public static Options defaults() {
            return new Options(Device.cpu(), DEFAULT_SHARD_BYTES, Math.max(1, Runtime.getRuntime().availableProcessors()), false);
        }
    }

    /**
     * Resolves a recipe's model reference: a path as given (relative to the working directory), else
     * relative to the recipe's directory.
     */
    public static Path resolveModel(String reference, Path recipeDirectory) {
        Path direct = Path.of(reference);
        if (Files.exists(direct)) {
            return direct;
        }
        if (recipeDirectory != null && Files.exists(recipeDirectory.resolve(reference))) {
            return recipeDirectory.resolve(reference);
        }
        throw new EvomergeException("model '" + reference + "' not found (as a path, or relative to the recipe's directory); "
                + "models are local checkpoint directories (hub downloads are not available)");
    }

    /** Opens every model the recipe names. */
    public static Map<String, ModelCheckpoint> open(MergeRecipe recipe, Path recipeDirectory) {
        Map<String, ModelCheckpoint> opened = new LinkedHashMap<>();
        try {
            for (String reference : recipe.referencedModels()) {
                opened.put(reference, ModelCheckpoint.open(resolveModel(reference, recipeDirectory), recipe.layerPattern()));
            }
            return opened;
        } catch (RuntimeException e) {
            opened.values().forEach(ModelCheckpoint::close);
            throw e;
        }
    }

    /** Hears how a merge goes: once planned, then after each tensor written (from worker threads). */
    public interface Progress {
        Progress NONE = new Progress() {
        };

        default void planned(MergePlan plan) {
        }

        default void written(MergePlan.TensorTask task) {
        }
    }

    /** Merges {@code recipe} into {@code outDir}. */
    public static Path merge(MergeRecipe recipe, Path recipeDirectory, Path outDir, Options options, Progress progress) {
        return merge(recipe, recipeDirectory, outDir, options, progress, Map.of(), "");
    }

    /**
     * Merges {@code recipe} into {@code outDir}, adding {@code extraFiles} (name → text) to the checkpoint and
     * {@code cardAppendix} (Markdown) to its model card.
     */
    public static Path merge(MergeRecipe recipe, Path recipeDirectory, Path outDir, Options options, Progress progress,
                             Map<String, String> extraFiles, String cardAppendix) {
        Map<String, ModelCheckpoint> models = open(recipe, recipeDirectory);
        try {
            MergePlan plan = MergePlan.of(recipe, models);
            plan.zeroWeightSumWarning(recipe.method()).ifPresent(LOG::warn);
            progress.planned(plan);
            ModelCheckpoint reference = models.get(recipe.baseModel() != null ? recipe.baseModel() : plan.models().getFirst());
            ModelCheckpoint tokenizerSource = tokenizerSource(recipe, models, reference);
            try (CheckpointWriter writer = CheckpointWriter.create(outDir, options.overwrite())) {
                Map<String, String> metadata = Map.of("format", "pt", "evomerge_recipe", recipe.toYaml());
                try (SafetensorsWriter weights = writer.weights(plan.outputs(), options.maxShardBytes(), metadata)) {
                    run(plan, recipe.method(), models, weights, options, progress);
                    weights.commit();
                }
                if (reference.weights() instanceof OnnxModel onnx) {
                    // an ONNX base: the merged tensors become the initializers of a copy of its graph
                    writer.convertWeightsToOnnx(onnx);
                } else {
                    writer.writeFile("config.json", config(reference, plan, recipe));
                }
                for (Path file : tokenizerSource.carriedFiles()) {
                    writer.copyFile(file);
                }
                extraFiles.forEach(writer::writeFile);
                writer.writeFile("README.md", ModelCard.of(recipe, plan) + cardAppendix);
                return writer.commit();
            }
        } finally {
            models.values().forEach(ModelCheckpoint::close);
        }
    }

    private static ModelCheckpoint tokenizerSource(MergeRecipe recipe, Map<String, ModelCheckpoint> models, ModelCheckpoint reference) {
        String source = recipe.tokenizerSource();
        if (source == null || source.equals("base")) {
            return reference;
        }
        if (source.equals("union")) {
            throw new EvomergeException("tokenizer_source: union is not supported; use base or a model of the recipe");
        }
        ModelCheckpoint named = models.get(source);
        if (named == null) {
            throw new EvomergeException("tokenizer_source '" + source + "' is not a model of the recipe " + models.keySet());
        }
        return named;
    }

    private static void run(MergePlan plan, MergeMethod method, Map<String, ModelCheckpoint> models, SafetensorsWriter weights,
                            Options options, Progress progress) {
        List<ModelCheckpoint> inputs = new ArrayList<>();
        plan.models().forEach(m -> inputs.add(models.get(m)));
        List<MergePlan.TensorTask> tasks = plan.tasks();
        List<List<MemorySegment>> inputBytes = tasks.stream().map(task -> task.inputs().stream()
                .map(in -> inputs.get(in.model()).weights().raw(in.tensor())).toList()).toList();
        try (DeviceScope root = new DeviceScope(options.device());
             ForkJoinPool pool = new ForkJoinPool(options.parallelism());
             DiskOverlap disk = new DiskOverlap(inputBytes, DiskOverlap.READ_AHEAD_BYTES)) {
            // workers take tasks in plan order, so reading ahead knows what comes next
            List<ForkJoinTask<?>> workers = new ArrayList<>();
            for (int w = 0; w < options.parallelism(); w++) {
                workers.add(pool.submit(() -> {
                    try {
                        for (int t = disk.take(); t >= 0; t = disk.take()) {
                            MergePlan.TensorTask task = tasks.get(t);
                            mergeOne(task, method, inputs, weights, root);
                            disk.written(() -> weights.flush(task.output().name()));
                            progress.written(task);
                        }
                    } catch (RuntimeException e) {
                        disk.stop();
                        throw e;
                    }
                }));
            }
            for (ForkJoinTask<?> worker : workers) {
                worker.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EvomergeException("merge interrupted; nothing was written");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * The engine's manager for the tensors merged on the device, made on the first such tensor: a merge that the
     * Java kernel does whole never starts the engine (its native library load and thread pools cost a cold command
     * about as much as a small merge). Thread-safe; closing it frees every tensor it made.
     */
    private static final class DeviceScope implements AutoCloseable {
        private final Device device;
        private NDManager manager;

        DeviceScope(Device device) {
            this.device = device;
        }

        Device device() {
            return device;
        }

        synchronized NDManager get() {
            if (manager == null) {
                manager = NDManager.newBaseManager(device);
            }
            return manager;
        }

        @Override
        public synchronized void close() {
            if (manager != null) {
                manager.close();
            }
        }
    }

    /** Merges one tensor into its place in the output. */
    private static void mergeOne(MergePlan.TensorTask task, MergeMethod method, List<ModelCheckpoint> inputs, SafetensorsWriter weights,
                                 DeviceScope root) {
        String name = task.output().name();
        if (!task.merged()) {
            MergePlan.Input in = task.inputs().getFirst();
            weights.writeRaw(name, inputs.get(in.model()).weights().raw(in.tensor()));
        } else if (TaskArithmeticKernel.merges(method, task, root.device())) {
            // on a CPU, the streamed kernel: read, merged and written a chunk at a time
            MergeInput params = MergeInput.parametersOnly(task);
            TaskArithmeticKernel.merge((TaskArithmetic) method, params, streamedInputs(task, params, inputs),
                    task.output().shape(), weights.place(name));
        } else {
            weights.write(name, mergeOnDevice(task, method, inputs, root.get()));
        }
    }

    /** A tensor's base and other models as stored in their checkpoints, for the streamed kernel. */
    private static TaskArithmeticKernel.Inputs streamedInputs(MergePlan.TensorTask task, MergeInput params, List<ModelCheckpoint> inputs) {
        MergePlan.Input b = task.inputs().get(task.baseIndex());
        List<StoredTensor> others = new ArrayList<>();
        for (int i : params.others()) {
            MergePlan.Input in = task.inputs().get(i);
            others.add(inputs.get(in.model()).weights().stored(in.tensor()));
        }
        return new TaskArithmeticKernel.Inputs(inputs.get(b.model()).weights().stored(b.tensor()), others, true);
    }

    /** Reads one tensor's inputs, merges them on the device and returns the result as f32. */
    private static float[] mergeOnDevice(MergePlan.TensorTask task, MergeMethod method, List<ModelCheckpoint> inputs, NDManager root) {
        try (NDManager work = root.newSubManager()) {
            int size = task.inputs().size();
            NDArray[] tensors = new NDArray[size];
            Shape shape = new Shape(task.output().shape());
            for (int i = 0; i < size; i++) {
                MergePlan.Input in = task.inputs().get(i);
                tensors[i] = work.create(inputs.get(in.model()).weights().readFloats(in.tensor()), shape);
            }
            int base = task.baseIndex();
            MergeInput input = new MergeInput(task.output().name(), size, base, task.parameters(), task.tensorParameters(),
                    task.depth(), task.seed(), work, i -> tensors[i], i -> {
                        if (base < 0) {
                            throw new EvomergeException(method.name() + " needs a base_model");
                        }
                        return tensors[i].sub(tensors[base]);
                    });
            return method.merge(input).toFloatArray();
        }
    }

    private static String config(ModelCheckpoint reference, MergePlan plan, MergeRecipe recipe) {
        ObjectNode config = (ObjectNode) reference.config();
        if (config.has("num_hidden_layers") || plan.layerCount() != reference.architecture().layerCount()) {
            config.put("num_hidden_layers", plan.layerCount());
        }
        if (recipe.dtype() != null) {
            config.put("torch_dtype", switch (dev.evomerge.tensor.DType.fromRecipe(recipe.dtype())) {
                case BF16 -> "bfloat16";
                case F16 -> "float16";
                case F64 -> "float64";
                default -> "float32";
            });
        }
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(config);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
