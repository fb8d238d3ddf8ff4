package dev.evomerge.fitness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.evomerge.EvomergeException;
import dev.evomerge.merge.Candidate;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.OnnxModel;
import dev.evomerge.tensor.StoredTensor;
import dev.evomerge.tensor.TensorInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The forward pass of an ONNX text encoder for candidates: a candidate's float tensors are written into a
 * copy of the base model's file in memory ({@link OnnxModel#writePatched}), ONNX Runtime builds a session
 * from those bytes (no file is written per candidate), and batches of token ids go through it to the last
 * hidden states, pooled and optionally L2-normalized. It knows no task.
 *
 * <p>The session of the last candidate is kept, so the tasks of a suite that share this encoder (and racing's
 * two passes) build it once per candidate. Patching, session building and inference are timed separately
 * ({@link #timings}) for {@code bench embeddings}.
 *
 * @implNote thread-safe (one candidate's session at a time); closing frees the session, the patch buffer and
 *     the model's mapping.
 */
public final class OnnxEmbedder implements AutoCloseable {
    private final ModelCheckpoint model;
    private final OnnxModel template;
    private final OrtEnvironment environment;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final AtomicLong patchNanos = new AtomicLong();
    private final AtomicLong sessionNanos = new AtomicLong();
    private final AtomicLong inferenceNanos = new AtomicLong();
    private final AtomicLong sessions = new AtomicLong();
    private final AtomicLong sequences = new AtomicLong();
    private Candidate lastCandidate;
    private Session lastSession;

    /** Time spent so far on each step, and how many sessions were built and sequences embedded. */
    public record Timings(long patchNanos, long sessionNanos, long inferenceNanos, long sessions, long sequences) {
    }

    private OnnxEmbedder(ModelCheckpoint model, OnnxModel template) {
        this.model = model;
        this.template = template;
        this.environment = OrtEnvironment.getEnvironment();
        this.buffer = arena.allocate(template.patchedSize(), 64);
    }

    /** The encoder of the ONNX model in {@code modelDir} (the base a search's candidates are patched into). */
    public static OnnxEmbedder open(Path modelDir) {
        ModelCheckpoint model = ModelCheckpoint.open(modelDir);
        if (!(model.weights() instanceof OnnxModel onnx)) {
            model.close();
            throw new EvomergeException(modelDir + ": embedding tasks run ONNX models (model.onnx); this checkpoint is safetensors");
        }
        try {
            return new OnnxEmbedder(model, onnx);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The session of {@code candidate}: built from its tensors patched into the model, or the last one if it is the same candidate. */
    public synchronized Session session(Candidate candidate) {
        if (candidate == lastCandidate) {
            return lastSession;
        }
        if (lastSession != null) {
            lastSession.close();
            lastSession = null;
            lastCandidate = null;
        }
        long start = System.nanoTime();
        patch(candidate);
        long patched = System.nanoTime();
        OrtSession session;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            session = environment.createSession(buffer.asByteBuffer(), options);
        } catch (OrtException e) {
            throw new EvomergeException(model.location() + ": ONNX Runtime cannot load the patched model: " + e.getMessage(), e);
        }
        long built = System.nanoTime();
        patchNanos.addAndGet(patched - start);
        sessionNanos.addAndGet(built - patched);
        sessions.incrementAndGet();
        lastCandidate = candidate;
        lastSession = new Session(session);
        return lastSession;
    }

    /** The candidate's float tensors written into the patch buffer: every float initializer must be among them. */
    private void patch(Candidate candidate) {
        Map<String, StoredTensor> values = new LinkedHashMap<>();
        for (TensorInfo info : template.tensors()) {
            if (!info.dtype().isFloat()) {
                continue;
            }
            NDArray array = candidate.tensors().get(info.name());
            if (array == null) {
                throw new EvomergeException("the candidate has no tensor '" + info.name() + "' that " + template.location() + " needs");
            }
            if (array.getDataType() != DataType.FLOAT32 || array.size() != info.numel()) {
                throw new EvomergeException("the candidate's tensor '" + info.name() + "' is " + array.getDataType() + " "
                        + array.getShape() + " where the model has " + info);
            }
            values.put(info.name(), new StoredTensor(MemorySegment.ofBuffer(array.toByteBuffer().order(ByteOrder.nativeOrder())), DType.F32));
        }
        template.writePatched(buffer, values::get);
    }

    /** One candidate's ONNX Runtime session, closed by the encoder when the next candidate's is built. */
    public final class Session {
        private final OrtSession session;

        private Session(OrtSession session) {
            this.session = session;
        }

        /**
         * The embeddings of {@code sequences} (token ids with the model's special tokens), run as one batch padded
         * to the longest: pooled as {@code pooling} says, L2-normalized when {@code normalize}.
         */
        public float[][] embed(List<int[]> sequences, Pooling pooling, boolean normalize) {
            long start = System.nanoTime();
            int batch = sequences.size();
            int positions = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
            long[] ids = new long[batch * positions];
            long[] mask = new long[batch * positions];
            for (int b = 0; b < batch; b++) {
                int[] s = sequences.get(b);
                for (int t = 0; t < s.length; t++) {
                    ids[b * positions + t] = s[t];
                    mask[b * positions + t] = 1;
                }
            }
            long[] shape = {batch, positions};
            List<OnnxTensor> inputs = new ArrayList<>();
            try {
                Map<String, OnnxTensor> feed = new LinkedHashMap<>();
                for (String name : session.getInputNames()) {
                    long[] values = switch (name) {
                        case "input_ids" -> ids;
                        case "attention_mask" -> mask;
                        case "token_type_ids" -> new long[batch * positions];
                        default -> throw new EvomergeException(model.location() + ": the model wants an input '" + name
                                + "'; text encoders here take input_ids, attention_mask and token_type_ids");
                    };
                    OnnxTensor tensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(values), shape);
                    inputs.add(tensor);
                    feed.put(name, tensor);
                }
                try (OrtSession.Result result = session.run(feed)) {
                    OnnxValue first = result.get(0);
                    if (!(first instanceof OnnxTensor out) || out.getInfo().getShape().length != 3) {
                        throw new EvomergeException(model.location() + ": the first output is not hidden states [batch, positions, width]");
                    }
                    int width = Math.toIntExact(out.getInfo().getShape()[2]);
                    FloatBuffer data = out.getFloatBuffer();
                    float[] hidden = new float[data.remaining()];
                    data.get(hidden);
                    float[][] embeddings = new float[batch][];
                    for (int b = 0; b < batch; b++) {
                        embeddings[b] = pooling.pool(hidden, b, positions, width, sequences.get(b).length);
                        if (normalize) {
                            normalizeInPlace(embeddings[b]);
                        }
                    }
                    return embeddings;
                }
            } catch (OrtException e) {
                throw new EvomergeException(model.location() + ": ONNX Runtime failed on a batch: " + e.getMessage(), e);
            } finally {
                inputs.forEach(OnnxTensor::close);
                inferenceNanos.addAndGet(System.nanoTime() - start);
                OnnxEmbedder.this.sequences.addAndGet(batch);
            }
        }

        private void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("closing an ONNX Runtime session: " + e.getMessage(), e);
            }
        }
    }

    /** Scales {@code v} to unit L2 norm (a zero vector stays zero). */
    static void normalizeInPlace(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (v[i] / norm);
            }
        }
    }

    public Timings timings() {
        return new Timings(patchNanos.get(), sessionNanos.get(), inferenceNanos.get(), sessions.get(), sequences.get());
    }

    /** The base model's directory (its tokenizer.json tokenizes the tasks' texts). */
    public Path location() {
        return model.location();
    }

    @Override
    public synchronized void close() {
        if (lastSession != null) {
            lastSession.close();
            lastSession = null;
        }
        arena.close();
        model.close();
    }
}
