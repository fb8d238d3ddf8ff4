package dev.evomerge.merge;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.HalfPrecision;
import dev.evomerge.tensor.RoundedTensor;
import dev.evomerge.tensor.StoredTensor;
import dev.evomerge.tensor.TensorInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source models of a search, resident on the device: every model's tensors as f32, decoded once.
 * Candidates are then merged from them in memory, tensor by tensor, with no disk access ({@link #materialize}),
 * by the same computation as the disk merge ({@link MergeEngine}): the same inputs (θ as stored, task vectors
 * θ − θ_base taken as the disk merge takes them), the same kernel or tensor ops, and each merged tensor rounded
 * to the dtype the disk merge writes it in. On a CPU a candidate so holds the bytes of the checkpoint exported
 * from it (MergeEngineTest compares them for the streamed kernel and for DJL's tensor ops); on a GPU it runs
 * the disk merge's ops on the same device, so it matches as far as those ops are deterministic, which no test
 * here checks.
 *
 * <p>On a GPU the sources are arrays on one manager that is capped once loaded: an operation that would
 * attach a new array to it (a leak: hour 7 of a search is no time to find out) fails at once instead. On a
 * CPU they are f32 in native memory of their own, which the streamed kernel reads directly and DJL sees
 * through arrays made over it without a copy; a candidate's merged tensors are written into native memory
 * that goes back to a spare pool for the next candidate when its scope closes, and made arrays the same
 * way. (DJL copies an array's data out one way only, at about 1.5 GB/s; the streamed path copies nothing.)
 * Candidates take zero-copy views of the sources in their own scope.
 *
 * @implNote materialize may be called from one thread at a time; it parallelizes across tensors itself.
 */
public final class MergeSources implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MergeSources.class);
    private final Map<String, ModelCheckpoint> checkpoints;
    private final String base;
    private final NDManager manager;
    /** Owns the sources' values on a CPU, and the spare buffers candidates' merged tensors reuse. */
    private final Arena memory;
    /** Spare candidate buffers, by size in bytes. */
    private final Map<Long, Queue<MemorySegment>> spare = new ConcurrentHashMap<>();
    /** model reference → tensor name → the model's tensor as stored, in f32. */
    private final Map<String, Map<String, Source>> sources;
    /** Whether a candidate's weights summing to zero under normalize has been reported: once per search, not per candidate. */
    private final AtomicBoolean zeroWeightSumReported = new AtomicBoolean();

    /** One source tensor: on a CPU its f32 values in native memory; on a GPU an array on the device. */
    private record Source(StoredTensor values, NDArray array, Shape shape) {
        /** A zero-copy array of it in {@code work}: operations on it create arrays there, never on the capped sources' manager. */
        NDArray view(NDManager work) {
            return values != null ? wrap(values.bytes(), shape, work) : array.get(work, new NDIndex());
        }
    }

    private MergeSources(Map<String, ModelCheckpoint> checkpoints, String base, NDManager manager, Arena memory,
                         Map<String, Map<String, Source>> sources) {
        this.checkpoints = checkpoints;
        this.base = base;
        this.manager = manager;
        this.memory = memory;
        this.sources = sources;
    }

    /**
     * Loads every float tensor of the models (keyed by the references recipes use) onto {@code device}, as
     * stored; every model's tensors must have counterparts of the same shape in the base (if any). Tensors load
     * in parallel. The checkpoints stay open (their metadata plans merges) and are closed with this.
     */
    public static MergeSources load(Map<String, ModelCheckpoint> checkpoints, String base, Device device) {
        if (base != null && !checkpoints.containsKey(base)) {
            throw new IllegalArgumentException("base " + base + " is not among the models");
        }
        boolean cpu = device.getDeviceType().equals(Device.Type.CPU);
        NDManager manager = NDManager.newBaseManager(device);
        Arena memory = cpu ? Arena.ofShared() : null;
        try {
            Map<String, Map<String, Source>> sources = new LinkedHashMap<>();
            for (var entry : checkpoints.entrySet()) {
                ModelCheckpoint model = entry.getValue();
                boolean isBase = entry.getKey().equals(base);
                ModelCheckpoint b = base == null || isBase ? null : checkpoints.get(base);
                List<TensorInfo> floats = model.weights().tensors().stream().filter(info -> info.dtype().isFloat()).toList();
                for (TensorInfo info : floats) {
                    if (b != null && (!b.weights().contains(info.name()) || !b.weights().info(info.name()).sameShape(info))) {
                        throw new EvomergeException("tensor '" + info.name() + "' of " + entry.getKey()
                                + " has no counterpart of the same shape in the base " + base);
                    }
                }
                Map<String, Source> tensors = new ConcurrentHashMap<>();
                floats.parallelStream().forEach(info -> {
                    Shape shape = new Shape(info.shape());
                    StoredTensor source = model.weights().stored(info.name());
                    if (cpu) {
                        StoredTensor values = new StoredTensor(memory.allocate(4 * info.numel(), 64), DType.F32);
                        decode(source, values);
                        tensors.put(info.name(), new Source(values, null, shape));
                    } else {
                        try (Arena staging = Arena.ofConfined()) {
                            StoredTensor values = new StoredTensor(staging.allocate(4 * info.numel(), 64), DType.F32);
                            decode(source, values);
                            tensors.put(info.name(), new Source(null, onDevice(values, shape, manager), shape));
                        }
                    }
                });
                sources.put(entry.getKey(), tensors);
            }
            manager.cap();
            // ordered: the keys reach error messages
            return new MergeSources(java.util.Collections.unmodifiableMap(new LinkedHashMap<>(checkpoints)), base, manager, memory, sources);
        } catch (RuntimeException e) {
            manager.close();
            if (memory != null) {
                memory.close();
            }
            throw e;
        }
    }

    /** {@code model}'s values into {@code into} (f32), a chunk at a time. */
    private static void decode(StoredTensor model, StoredTensor into) {
        float[] values = new float[CHUNK];
        long n = model.count();
        for (long from = 0; from < n; from += CHUNK) {
            int len = (int) Math.min(CHUNK, n - from);
            model.read(from, values, len);
            into.write(from, values, len);
        }
    }

    private static final int CHUNK = 1 << 16;

    /** A copy of {@code values} on the manager's device, attached to it. */
    private static NDArray onDevice(StoredTensor values, Shape shape, NDManager manager) {
        try (NDManager staging = NDManager.newBaseManager(Device.cpu())) {
            NDArray copy = wrap(values.bytes(), shape, staging).toDevice(manager.getDevice(), true);
            copy.attach(manager);
            return copy;
        }
    }

    /**
     * An f32 array over {@code bytes} without a copy (DJL's PyTorch engine takes a direct buffer as the
     * tensor's storage); {@code bytes} must outlive it. Over 2 GB (a buffer's limit), a copy.
     */
    private static NDArray wrap(MemorySegment bytes, Shape shape, NDManager manager) {
        if (bytes.byteSize() <= Integer.MAX_VALUE) {
            return manager.create(bytes.asByteBuffer().order(ByteOrder.nativeOrder()), shape, DataType.FLOAT32);
        }
        return manager.create(bytes.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder())), shape);
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
     * Each merged tensor holds the values the disk merge writes for it (rounded to its planned dtype, a chunk at
     * a time where the streamed kernel merges it). Integer tensors are copies of the reference model's.
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
        plan.zeroWeightSumWarning(method).ifPresent(warning -> {
            if (zeroWeightSumReported.compareAndSet(false, true)) {
                LOG.warn("{} (reported for the first such candidate only)", warning);
            } else {
                LOG.debug(warning);
            }
        });
        // on a CPU, the merged tensors' memory, given back for the next candidate when this one's scope closes
        Buffers buffers = memory == null ? null : new Buffers();
        if (buffers != null) {
            scope.attachInternal("evomerge-candidate-" + java.util.UUID.randomUUID(), buffers);
        }
        NDArray[] out = new NDArray[plan.tasks().size()];
        java.util.stream.IntStream.range(0, out.length).parallel().forEach(k -> {
            MergePlan.TensorTask task = plan.tasks().get(k);
            out[k] = task.merged() ? mergeOne(plan, task, method, scope, buffers) : copyOf(plan, task, scope);
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

    private NDArray mergeOne(MergePlan plan, MergePlan.TensorTask task, MergeMethod method, NDManager scope, Buffers candidateMemory) {
        DType dtype = task.output().dtype();
        if (TaskArithmeticKernel.merges(method, task, manager.getDevice())) {
            // on a CPU, the streamed kernel as the disk merge runs it: models as stored, τ taken per chunk, and
            // each chunk rounded to the output's dtype as writing it to the file would round it
            MergeInput params = MergeInput.parametersOnly(task);
            List<StoredTensor> models = new ArrayList<>();
            for (int i : params.others()) {
                MergePlan.Input in = task.inputs().get(i);
                models.add(source(plan.models().get(in.model()), in.tensor()).values());
            }
            Source baseValues = source(base, task.inputs().get(task.baseIndex()).tensor());
            StoredTensor out = new StoredTensor(candidateMemory.take(baseValues.values().bytes().byteSize()), DType.F32);
            TaskArithmeticKernel.merge((TaskArithmetic) method, params, new TaskArithmeticKernel.Inputs(baseValues.values(), models, true),
                    task.output().shape(), new RoundedTensor(out, dtype));
            return wrap(out.bytes(), new Shape(task.output().shape()), scope);
        }
        try (NDManager work = scope.newSubManager()) {
            int size = task.inputs().size();
            NDArray[] stored = new NDArray[size];
            for (int i = 0; i < size; i++) {
                MergePlan.Input in = task.inputs().get(i);
                stored[i] = view(plan.models().get(in.model()), in.tensor(), work);
            }
            // the inputs the disk merge gives the method (MergeEngine.mergeOnDevice): θ as stored, τ = θ − θ_base
            int b = task.baseIndex();
            MergeInput input = new MergeInput(task.output().name(), size, b, task.parameters(),
                    task.tensorParameters(), task.depth(), task.seed(), work, i -> stored[i], i -> {
                        if (b < 0) {
                            throw new EvomergeException(method.name() + " needs a base_model");
                        }
                        return stored[i].sub(stored[b]);
                    });
            NDArray result = method.merge(input);
            if (dtype == DType.F32) {
                result.attach(scope);
                return result;
            }
            // rounded as the disk merge's write rounds it; in Java, since DJL aborts on bf16
            float[] values = result.toFloatArray();
            HalfPrecision.round(values, 0, values.length, dtype);
            return scope.create(values, new Shape(task.output().shape()));
        }
    }

    /**
     * One candidate's merged tensors' memory, taken from the sources' spare buffers (or newly allocated) and
     * given back when the candidate's scope closes: a search merges one candidate after another, and fresh
     * native memory costs a page fault and zeroing per 4 KB (1.4–3 s for 2 GB here). The kernel writes every
     * element, so a buffer's old contents never show. Spare buffers are freed with the sources.
     */
    private final class Buffers implements AutoCloseable {
        private final List<MemorySegment> taken = Collections.synchronizedList(new ArrayList<>());

        MemorySegment take(long bytes) {
            Queue<MemorySegment> free = spare.get(bytes);
            MemorySegment buffer = free == null ? null : free.poll();
            if (buffer == null) {
                buffer = memory.allocate(bytes, 64);
            }
            taken.add(buffer);
            return buffer;
        }

        @Override
        public void close() {
            synchronized (taken) {
                for (MemorySegment buffer : taken) {
                    spare.computeIfAbsent(buffer.byteSize(), size -> new ConcurrentLinkedQueue<>()).add(buffer);
                }
                taken.clear();
            }
        }
    }

    /** A zero-copy view of a source tensor in {@code work}. */
    private NDArray view(String model, String tensor, NDManager work) {
        return source(model, tensor).view(work);
    }

    private Source source(String model, String tensor) {
        Source stored = sources.get(model).get(tensor);
        if (stored == null) {
            throw new EvomergeException("source " + model + " has no float tensor " + tensor);
        }
        return stored;
    }

    /** Frees the sources; every candidate's scope must be closed first (on a CPU their arrays view this memory). */
    @Override
    public void close() {
        manager.close();
        if (memory != null) {
            memory.close();
        }
        checkpoints.values().forEach(ModelCheckpoint::close);
    }
}
