package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.tensor.DType;
import dev.evomerge.tensor.HalfPrecision;
import dev.evomerge.tensor.StoredTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streamed CPU kernel on a tensor of many chunks and parallel tasks (not a multiple of the chunk), read
 * from bf16 models as a checkpoint stores them: against DJL's tensor-op form of every method on the same
 * decoded values, and bit for bit against the same kernel fed the task vectors in memory. (bf16 task vectors
 * hold many equal magnitudes; DELLA's rank ties are broken by position here and in no stated order by
 * torch's argsort, there and in mergekit: so DELLA meets the tensor form on f32 models.)
 */
class TaskArithmeticKernelTest {
    private static final int ROWS = 41;
    private static final int COLS = 1003;
    private static final int N = ROWS * COLS;

    @Test
    void streamedFromStoredModelsAgreesWithTheTensorFormAndTheInMemoryKernel() {
        streamedAgrees(DType.BF16);
        streamedAgrees(DType.F32);
    }

    private static void streamedAgrees(DType dtype) {
        Random random = new Random(5);
        float[][] values = new float[4][N];
        for (int i = 0; i < N; i++) {
            values[0][i] = (float) random.nextGaussian() * 0.02f;
            for (int m = 1; m < 4; m++) {
                values[m][i] = values[0][i] + (float) random.nextGaussian() * 0.002f * m;
            }
        }
        List<Map<String, Object>> perModel = List.of(Map.of(), Map.of("weight", 0.7, "density", 0.5, "gamma", 0.1, "epsilon", 0.2),
                Map.of("weight", -0.3, "density", 0.4, "gamma", 0.05, "epsilon", 0.1), Map.of("weight", 0.9, "density", 0.6));
        try (Arena arena = Arena.ofShared(); NDManager manager = NDManager.newBaseManager()) {
            // stored as bf16, as read back: what both forms compute on
            StoredTensor[] stored = new StoredTensor[4];
            float[][] decoded = new float[4][N];
            for (int m = 0; m < 4; m++) {
                stored[m] = new StoredTensor(arena.allocate((long) dtype.byteSize() * N), dtype);
                HalfPrecision.encode(values[m], dtype, stored[m].bytes());
                HalfPrecision.decode(stored[m].bytes(), dtype, decoded[m], N);
            }
            List<float[]> taskVectors = new ArrayList<>();
            for (int m = 1; m < 4; m++) {
                float[] tau = new float[N];
                for (int i = 0; i < N; i++) {
                    tau[i] = decoded[m][i] - decoded[0][i];
                }
                taskVectors.add(tau);
            }
            for (TaskArithmetic method : List.of(TaskArithmetic.TASK_ARITHMETIC, TaskArithmetic.TIES, TaskArithmetic.DARE_TIES,
                    TaskArithmetic.BREADCRUMBS_TIES, TaskArithmetic.DELLA)) {
                Map<String, Object> global = new HashMap<>(Map.of("lines_alpha", 0.5, "lines_beta", 0.8));
                for (ParameterDef d : method.parameters()) {
                    if (d.defaultValue() != null) {
                        global.putIfAbsent(d.name(), d.defaultValue());
                    }
                }
                float[] streamed = new float[N];
                MergeInput params = new MergeInput("t", 4, 0, global, perModel, 0.4, 17, null, i -> null, i -> null);
                TaskArithmeticKernel.merge(method, params, new TaskArithmeticKernel.Inputs(stored[0], List.of(stored[1], stored[2], stored[3]), true),
                        new long[] {ROWS, COLS}, StoredTensor.of(streamed));
                float[] inMemory = TaskArithmeticKernel.merge(method, params, decoded[0], taskVectors, new long[] {ROWS, COLS});
                float[] tensorForm;
                try (NDManager work = manager.newSubManager()) {
                    List<NDArray> arrays = new ArrayList<>();
                    for (float[] d : decoded) {
                        arrays.add(work.create(d, new Shape(ROWS, COLS)));
                    }
                    MergeInput in = new MergeInput("t", 4, 0, global, perModel, 0.4, 17, work, arrays::get,
                            i -> arrays.get(i).sub(arrays.get(0)));
                    tensorForm = method.merge(in).toFloatArray();
                }
                boolean ties = dtype == DType.BF16 && method.sparsification() == Sparsification.DELLA_MAGPRUNE;
                for (int i = 0; i < N; i++) {
                    String where = method.name() + " " + dtype + " entry " + i;
                    assertEquals(Float.floatToRawIntBits(inMemory[i]), Float.floatToRawIntBits(streamed[i]), where);
                    if (!ties) {
                        assertEquals(tensorForm[i], streamed[i], 1e-5 * Math.max(1, Math.abs(tensorForm[i])), where);
                    }
                }
            }
        }
    }

    @Test
    void writesBf16ChunkByChunkAsTheScalarConversionDoes() {
        Random random = new Random(3);
        int n = 5000;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = Float.intBitsToFloat(random.nextInt()); // every kind of pattern: NaNs, subnormals, infinities
        }
        values[0] = Float.NaN;
        values[1] = Float.MAX_VALUE;
        values[2] = -0f;
        try (Arena arena = Arena.ofConfined()) {
            StoredTensor out = new StoredTensor(arena.allocate(2L * n), DType.BF16);
            out.write(0, values, n);
            for (int i = 0; i < n; i++) {
                assertEquals(HalfPrecision.floatToBf16(values[i]), out.bytes().get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i), "entry " + i);
            }
            float[] back = new float[n - 7];
            out.read(7, back, n - 7);
            for (int i = 7; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(values[i]))),
                        Float.floatToRawIntBits(back[i - 7]), "entry " + i);
            }
        }
    }
}
