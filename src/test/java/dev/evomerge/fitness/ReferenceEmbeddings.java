package dev.evomerge.fitness;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Embeddings computed the plain way, for tests to compare evomerge's with: ONNX Runtime on a model file. */
public final class ReferenceEmbeddings {
    private ReferenceEmbeddings() {
    }

    /**
     * Each text's embedding straight from a fresh ONNX Runtime session on the model file, one text at a time (no
     * padding), pooled as the model's card says and normalized.
     */
    public static float[][] of(Path modelFile, Path tokenizerDir, List<String> texts, Pooling pooling) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Tokenizer tokenizer = Tokenizer.forEmbeddings(tokenizerDir, 128);
             OrtSession session = env.createSession(modelFile.toString())) {
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = tokenizer.encode(texts.get(i));
                long[] shape = {1, ids.length};
                long[] longIds = java.util.Arrays.stream(ids).asLongStream().toArray();
                long[] mask = new long[ids.length];
                java.util.Arrays.fill(mask, 1);
                Map<String, OnnxTensor> feed = new LinkedHashMap<>();
                feed.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(longIds), shape));
                feed.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
                feed.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape));
                try (OrtSession.Result r = session.run(feed)) {
                    float[][][] hidden = (float[][][]) r.get(0).getValue();
                    float[] e = new float[hidden[0][0].length];
                    for (int t = 0; t < (pooling == Pooling.CLS ? 1 : ids.length); t++) {
                        for (int j = 0; j < e.length; j++) {
                            e[j] += hidden[0][t][j];
                        }
                    }
                    for (int j = 0; j < e.length; j++) {
                        e[j] /= pooling == Pooling.CLS ? 1 : ids.length;
                    }
                    OnnxEmbedder.normalizeInPlace(e);
                    out[i] = e;
                } finally {
                    feed.values().forEach(OnnxTensor::close);
                }
            }
            return out;
        }
    }

}
