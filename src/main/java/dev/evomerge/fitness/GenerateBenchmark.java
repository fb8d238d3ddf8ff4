package dev.evomerge.fitness;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.evomerge.NativeHeap;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.LayerProgram;
import dev.evomerge.model.ModelCheckpoint;
import dev.evomerge.tensor.TensorInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code bench generate}: greedy generation, tokens per second, of bench eval's ~25M-parameter Llama on CPU, each
 * answer decoded and watched for a stop string as a generate task does, in two ways measured alternately in one
 * run:
 * <ul>
 *   <li>before (evomerge until issue 13): the key/value cache concatenated anew at every token, a longer array
 *       per program step, with every pass's arrays kept in the answer's scope until it ended, and the whole
 *       answer decoded after every token;</li>
 *   <li>now ({@link LlamaModel#generate}): the cache written in place, each pass in its own sub-manager, the
 *       answer decoded a token at a time ({@link IncrementalDecoder}, {@link StopString}).</li>
 * </ul>
 * Both run the same forward pass ({@link LlamaModel#nextLogits}): the ratio is what the way generation keeps
 * its memory and reads its text costs. The stop string never appears, so every answer has all its tokens.
 */
public final class GenerateBenchmark {
    private static final String STOP = "|";

    private GenerateBenchmark() {
    }

    /**
     * Per round: tokens per second of wall time, process CPU milliseconds per token and the generating thread's CPU
     * milliseconds per token (all of the work when PyTorch runs on one thread, OMP_NUM_THREADS=1), before and now; the growth
     * of malloc's bytes in use from before an answer to its last token, before and now (first round); whether both
     * generated the same tokens.
     */
    public record Result(long parameters, int promptTokens, int newTokens, double[] before, double[] now, double[] beforeCpu,
                         double[] nowCpu, double[] beforeThreadCpu, double[] nowThreadCpu, long beforeGrowth, long nowGrowth,
                         boolean sameTokens) {
        public Result {
            before = before.clone();
            now = now.clone();
            beforeCpu = beforeCpu.clone();
            nowCpu = nowCpu.clone();
            beforeThreadCpu = beforeThreadCpu.clone();
            nowThreadCpu = nowThreadCpu.clone();
        }

        /** The median over rounds of now ÷ before in tokens per second, each round's two runs measured one after the other. */
        public double ratio() {
            return GenerateBenchmark.ratio(now, before);
        }
    }

    public static Result measure(Path dir, int promptTokens, int newTokens, int rounds) throws IOException {
        Path checkpoint = EvalBenchmark.writeModel(dir.resolve("llama-25m"));
        try (ModelCheckpoint model = ModelCheckpoint.open(checkpoint); NDManager m = NDManager.newBaseManager()) {
            LlamaModel llama = new LlamaModel(LlamaConfig.of(model.config()));
            int vocab = llama.config().vocab();
            // words "w0", "w1", …, one token each; decoding joins them with spaces
            Files.writeString(Files.createDirectories(dir.resolve("tokenizer")).resolve("tokenizer.json"), """
                    {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                     "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
                     "model": {"type": "WordLevel", "vocab": {%s}, "unk_token": "w0"}}
                    """.formatted(IntStream.range(0, vocab).mapToObj(i -> "\"w" + i + "\": " + i).collect(Collectors.joining(", "))));
            SplittableRandom random = new SplittableRandom(3);
            int[] prompt = IntStream.range(0, promptTokens).map(i -> random.nextInt(vocab)).toArray();
            try (Tokenizer tokenizer = Tokenizer.of(dir.resolve("tokenizer"))) {
                return measure(model, llama, prompt, newTokens, rounds, tokenizer, m);
            }
        }
    }

    private static Result measure(ModelCheckpoint model, LlamaModel llama, int[] prompt, int newTokens, int rounds, Tokenizer tokenizer,
                                  NDManager m) {
        long parameters = model.weights().tensors().stream().mapToLong(TensorInfo::numel).sum();
        List<Map<String, NDArray>> models = List.of(Candidate.load(model, m).tensors());
        LayerProgram program = LayerProgram.identity(0, llama.config().layers());
        long[] growth = new long[2];
        int[] beforeTokens = before(llama, models, program, prompt, newTokens, tokenizer, m, growth, 0);
        int[] nowTokens = now(llama, models, program, prompt, newTokens, tokenizer, m, growth, 1);
        double[][] rate = new double[2][rounds];
        double[][] cpu = new double[2][rounds];
        double[][] threadCpu = new double[2][rounds];
        var thread = java.lang.management.ManagementFactory.getThreadMXBean();
        var process = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int r = 0; r < rounds; r++) {
            // alternate which goes first, so that neither always runs on a warmer or a quieter machine
            for (int which : r % 2 == 0 ? new int[] {0, 1} : new int[] {1, 0}) {
                long cpu0 = process.getProcessCpuTime();
                long threadCpu0 = thread.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                int generated = which == 0 ? before(llama, models, program, prompt, newTokens, tokenizer, m, new long[2], 0).length
                        : now(llama, models, program, prompt, newTokens, tokenizer, m, new long[2], 1).length;
                rate[which][r] = generated / ((System.nanoTime() - t0) / 1e9);
                cpu[which][r] = (process.getProcessCpuTime() - cpu0) / 1e6 / generated;
                threadCpu[which][r] = (thread.getCurrentThreadCpuTime() - threadCpu0) / 1e6 / generated;
            }
        }
        return new Result(parameters, prompt.length, newTokens, rate[0], rate[1], cpu[0], cpu[1], threadCpu[0], threadCpu[1],
                growth[0], growth[1],
                Arrays.equals(beforeTokens, nowTokens));
    }

    /** Generation now; {@code growth[slot]} gets how far malloc's bytes in use rose by the last token. */
    private static int[] now(LlamaModel llama, List<Map<String, NDArray>> models, LayerProgram program, int[] prompt, int newTokens,
                             Tokenizer tokenizer, NDManager m, long[] growth, int slot) {
        IncrementalDecoder decoder = new IncrementalDecoder(tokenizer::decode);
        StopString answer = new StopString(STOP);
        long start = heap();
        int[] count = {0};
        try (NDManager scope = m.newSubManager()) {
            return llama.generate(models, program, prompt, newTokens, t -> {
                if (++count[0] == newTokens) {
                    growth[slot] = heap() - start;
                }
                return answer.append(decoder.next(t));
            }, scope);
        }
    }

    /** Generation as it was before issue 13, on today's forward pass; {@code growth[slot]} as in {@link #now}. */
    private static int[] before(LlamaModel llama, List<Map<String, NDArray>> models, LayerProgram program, int[] prompt, int newTokens,
                                Tokenizer tokenizer, NDManager m, long[] growth, int slot) {
        long start = heap();
        try (NDManager scope = m.newSubManager()) {
            KeyValues cache = new ConcatenatedKeyValues(program.length());
            List<Integer> generated = new ArrayList<>();
            long[] input = Arrays.stream(prompt).asLongStream().toArray();
            int past = 0;
            for (int step = 0; step < newTokens; step++) {
                NDArray ids = scope.create(input, new Shape(1, input.length));
                int next = (int) llama.nextLogits(models, program, ids, past, cache).argMax().getLong();
                generated.add(next);
                past += input.length;
                input = new long[] {next};
                int[] tokens = generated.stream().mapToInt(Integer::intValue).toArray();
                if (tokens.length == newTokens) {
                    growth[slot] = heap() - start;
                }
                if (tokenizer.decode(tokens).contains(STOP)) {
                    return tokens;
                }
            }
            return generated.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The cache before issue 13: each token's keys and values concatenated to the earlier ones, a new array each time. */
    private static final class ConcatenatedKeyValues implements KeyValues {
        private final NDArray[][] held;

        ConcatenatedKeyValues(int steps) {
            held = new NDArray[steps][];
        }

        @Override
        public NDArray[] extend(int step, int past, NDArray k, NDArray v) {
            held[step] = held[step] == null ? new NDArray[] {k, v} : new NDArray[] {held[step][0].concat(k, 2), held[step][1].concat(v, 2)};
            return held[step];
        }
    }

    /** malloc's bytes in use, or 0 where the C library does not say. */
    private static long heap() {
        return NativeHeap.available() ? NativeHeap.inUse() : 0;
    }

    /** The median of the rounds' ratios {@code a[r] / b[r]}. */
    private static double ratio(double[] a, double[] b) {
        return median(IntStream.range(0, a.length).mapToDouble(r -> a[r] / b[r]).toArray());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    public static void report(Result r, PrintWriter out) {
        out.printf("bench generate: greedy decoding, Llama of %.1fM parameters, %d-token prompt + %d new tokens, CPU, %d rounds alternating%n",
                r.parameters() / 1e6, r.promptTokens(), r.newTokens(), r.now().length);
        out.println("  before: cache concatenated per token, arrays kept per answer, whole answer decoded per token");
        out.println("  now:    cache written in place, a scope per token, answer decoded incrementally");
        out.printf("  %-8s %9s %20s %20s   %s%n", "", "tokens/s", "CPU ms/token: process", "this thread", "tokens/s by round");
        out.printf("  %-8s %9.1f %20.2f %20.2f   %s%n", "before", median(r.before()), median(r.beforeCpu()), median(r.beforeThreadCpu()),
                rates(r.before()));
        out.printf("  %-8s %9.1f %20.2f %20.2f   %s%n", "now", median(r.now()), median(r.nowCpu()), median(r.nowThreadCpu()), rates(r.now()));
        out.printf("  now / before, median of the rounds' ratios: %.2f tokens/s, %.2f process CPU, %.2f this thread's CPU per token%n",
                r.ratio(), ratio(r.nowCpu(), r.beforeCpu()), ratio(r.nowThreadCpu(), r.beforeThreadCpu()));
        if (NativeHeap.available()) {
            out.printf("  malloc's bytes in use grown by an answer's last token: before %.1f MB, now %.1f MB (the JVM's own share moves by a few MB)%n",
                    r.beforeGrowth() / 1e6, r.nowGrowth() / 1e6);
        }
        out.println("  same tokens generated: " + (r.sameTokens() ? "yes" : "NO"));
    }

    private static String rates(double[] values) {
        return Arrays.stream(values).mapToObj(v -> String.format("%.1f", v)).collect(Collectors.joining(" "));
    }
}
