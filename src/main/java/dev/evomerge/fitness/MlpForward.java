package dev.evomerge.fitness;

import java.util.stream.IntStream;

/**
 * The float32 forward pass of an {@link MlpClassifier} in plain Java over a fixed set of rows, for the
 * whole-weight searches (M2N2's digits experiments) that run tens of thousands of passes of a model too
 * small for an engine call to pay: at 64-256-10 over 1,437 rows one pass is 55 MFLOP, and the fixed cost of
 * creating arrays and calling into the engine was most of the time.
 *
 * <p>The rows are stored once, transposed in blocks of {@link #BLOCK} ({@code [feature][row]}), so every
 * layer is a sequence of axpy loops over a block's rows ({@code acc[r] += w · x[i][r]}), which the JIT
 * vectorizes; the activations of a block stay in cache between layers. Blocks run in parallel.
 */
public final class MlpForward {
    static final int BLOCK = 128;

    private final MlpClassifier mlp;
    private final int rows;
    private final int[] labels;
    /** Per block: the inputs transposed, {@code [feature][r]}; a last partial block is zero-padded. */
    private final float[][][] blocks;

    public MlpForward(MlpClassifier mlp, LabelledData data) {
        if (data.features() != mlp.layerSizes().getFirst()) {
            throw new IllegalArgumentException("data of " + data.features() + " features for an MLP of " + mlp.layerSizes().getFirst() + " inputs");
        }
        this.mlp = mlp;
        this.rows = data.size();
        this.labels = data.labels().clone();
        int features = data.features();
        float[] inputs = data.inputs();
        this.blocks = new float[(rows + BLOCK - 1) / BLOCK][][];
        for (int b = 0; b < blocks.length; b++) {
            float[][] block = new float[features][BLOCK];
            for (int r = 0; r < BLOCK && b * BLOCK + r < rows; r++) {
                for (int i = 0; i < features; i++) {
                    block[i][r] = inputs[(b * BLOCK + r) * features + i];
                }
            }
            blocks[b] = block;
        }
    }

    public int rows() {
        return rows;
    }

    /**
     * Per row, 1 where the arg-max logit is the label, else 0, for the flat parameter vector {@code flat}
     * (tensors in {@link MlpClassifier#tensors()} order: each layer's weight [out, in] row-major, then its bias).
     */
    public double[] correct(double[] flat) {
        float[] params = toFloats(flat);
        double[] correct = new double[rows];
        IntStream.range(0, blocks.length).parallel().forEach(b -> {
            float[][] logits = logits(params, blocks[b]);
            int classes = mlp.classes();
            for (int r = 0; r < BLOCK && b * BLOCK + r < rows; r++) {
                int best = 0;
                for (int c = 1; c < classes; c++) {
                    if (logits[c][r] > logits[best][r]) {
                        best = c;
                    }
                }
                correct[b * BLOCK + r] = best == labels[b * BLOCK + r] ? 1 : 0;
            }
        });
        return correct;
    }

    /** Logits [rows][classes] for {@code flat}, for tests against the engine's forward pass. */
    public float[][] logits(double[] flat) {
        float[] params = toFloats(flat);
        float[][] out = new float[rows][mlp.classes()];
        for (int b = 0; b < blocks.length; b++) {
            float[][] logits = logits(params, blocks[b]);
            for (int r = 0; r < BLOCK && b * BLOCK + r < rows; r++) {
                for (int c = 0; c < mlp.classes(); c++) {
                    out[b * BLOCK + r][c] = logits[c][r];
                }
            }
        }
        return out;
    }

    private float[] toFloats(double[] flat) {
        if (flat.length != mlp.parameterCount()) {
            throw new IllegalArgumentException("genome of " + flat.length + " values for an MLP of " + mlp.parameterCount());
        }
        float[] params = new float[flat.length];
        for (int i = 0; i < flat.length; i++) {
            params[i] = (float) flat[i];
        }
        return params;
    }

    /** One block through every layer: activations {@code [unit][r]}, ReLU between layers. */
    private float[][] logits(float[] params, float[][] block) {
        float[][] x = block;
        int offset = 0;
        for (int l = 0; l < mlp.layers(); l++) {
            int in = mlp.layerSizes().get(l);
            int out = mlp.layerSizes().get(l + 1);
            int bias = offset + in * out;
            float[][] y = new float[out][BLOCK];
            boolean hidden = l + 1 < mlp.layers();
            int[] live = nonZeroRows(x);
            int o = 0;
            // four units at a time: each input row read once feeds four accumulators
            for (; o + 4 <= out; o += 4) {
                float[] a0 = y[o];
                float[] a1 = y[o + 1];
                float[] a2 = y[o + 2];
                float[] a3 = y[o + 3];
                java.util.Arrays.fill(a0, params[bias + o]);
                java.util.Arrays.fill(a1, params[bias + o + 1]);
                java.util.Arrays.fill(a2, params[bias + o + 2]);
                java.util.Arrays.fill(a3, params[bias + o + 3]);
                int row = offset + o * in;
                for (int i : live) {
                    axpy4(params[row + i], params[row + in + i], params[row + 2 * in + i], params[row + 3 * in + i], x[i], a0, a1, a2, a3);
                }
            }
            for (; o < out; o++) {
                float[] acc = y[o];
                java.util.Arrays.fill(acc, params[bias + o]);
                int row = offset + o * in;
                for (int i : live) {
                    axpy(params[row + i], x[i], acc);
                }
            }
            if (hidden) {
                for (float[] acc : y) {
                    for (int r = 0; r < BLOCK; r++) {
                        acc[r] = Math.max(0f, acc[r]);
                    }
                }
            }
            x = y;
            offset = bias + out;
        }
        return x;
    }

    /** The inputs (pixels, hidden units) not zero for every row of the block: the others add nothing. */
    private static int[] nonZeroRows(float[][] x) {
        int[] live = new int[x.length];
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            for (float v : x[i]) {
                if (v != 0) {
                    live[n++] = i;
                    break;
                }
            }
        }
        return java.util.Arrays.copyOf(live, n);
    }

    /** a_k += w_k · x for four units, element by element. */
    private static void axpy4(float w0, float w1, float w2, float w3, float[] x, float[] a0, float[] a1, float[] a2, float[] a3) {
        for (int r = 0; r < x.length; r++) {
            float v = x[r];
            a0[r] += w0 * v;
            a1[r] += w1 * v;
            a2[r] += w2 * v;
            a3[r] += w3 * v;
        }
    }

    /** acc += w · x, element by element (same index on both sides, so the JIT vectorizes it). */
    private static void axpy(float w, float[] x, float[] acc) {
        for (int r = 0; r < acc.length; r++) {
            acc[r] += w * x[r];
        }
    }
}
