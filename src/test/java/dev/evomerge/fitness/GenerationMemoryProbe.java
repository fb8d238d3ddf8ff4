package dev.evomerge.fitness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.evomerge.NativeHeap;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.LayerProgram;
import dev.evomerge.model.ModelCheckpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Run by {@link LlamaModelTest} in a fresh JVM with native memory tracking: generates {@code tokens} tokens
 * twice from a model, decoding each token as a generate task does, and prints for the second generation one line
 * {@code <token> <bytes>} per token from 11 to 20 and the last ten, the bytes being malloc's in use outside the JVM.
 * The first generation warms up the JIT, the allocator and PyTorch's thread pool.
 *
 * <p>Arguments: the model directory, the directory of its tokenizer.json, the number of tokens.
 */
final class GenerationMemoryProbe {
    private GenerationMemoryProbe() {
    }

    public static void main(String[] args) {
        Path modelDir = Path.of(args[0]);
        int tokens = Integer.parseInt(args[2]);
        try (ModelCheckpoint model = ModelCheckpoint.open(modelDir); Tokenizer tokenizer = Tokenizer.of(Path.of(args[1]));
             NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = Candidate.load(model, m).tensors();
            LlamaModel llama = new LlamaModel(LlamaConfig.of(model.config()));
            LayerProgram program = LayerProgram.identity(0, llama.config().layers());
            for (int run = 0; run < 2; run++) {
                boolean measured = run == 1;
                int[] count = {0};
                IncrementalDecoder decoder = new IncrementalDecoder(tokenizer::decode);
                StopString answer = new StopString("|"); // never generated: the tokenizer has words only
                try (NDManager scope = m.newSubManager()) {
                    llama.generate(List.of(w), program, new int[] {5, 17, 2, 40}, tokens, t -> {
                        int n = ++count[0];
                        if (measured && ((n > 10 && n <= 20) || n > tokens - 10)) {
                            System.out.println(n + " " + NativeHeap.outsideTheJvm());
                        }
                        return answer.append(decoder.next(t));
                    }, scope);
                }
                if (count[0] != tokens) {
                    throw new IllegalStateException("generated " + count[0] + " tokens, not " + tokens);
                }
            }
        }
    }
}
