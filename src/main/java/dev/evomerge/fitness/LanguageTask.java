package dev.evomerge.fitness;

import ai.djl.ndarray.NDManager;
import dev.evomerge.EvomergeException;
import dev.evomerge.merge.Candidate;
import dev.evomerge.merge.LayerProgram;
import java.util.ArrayList;
import java.util.List;

/**
 * Text tasks for Llama-family models, tokenized once when opened:
 * <ul>
 *   <li>{@code multiple_choice}: a prompt and its choices; a datapoint scores 1 when the choice with the
 *       highest log-likelihood given the prompt (divided by its token count when {@code normalize}) is the
 *       answer, else 0;</li>
 *   <li>{@code perplexity}: a text; its score is the loss per token, the mean negative log-likelihood of
 *       each token after the first (lower is better: make it an objective to minimize);</li>
 *   <li>{@code generate}: a prompt and an expected answer; greedy decoding (with a key/value cache) until
 *       the stop string or {@code max_tokens}, the answer read from the text by the {@code extract} regex
 *       (its first group, else the whole match), scored 1 on an exact match.</li>
 * </ul>
 * Sequences are scored in right-padded batches of {@code batchSize}.
 */
public final class LanguageTask implements Task {
    /** One question, text or prompt: token ids, and the answer (a choice's index, or the expected text). */
    record Item(int[] prompt, List<int[]> choices, int answer, String expected) {
    }

    /** How a generated answer is read and when generation stops. */
    record Generation(String stop, java.util.regex.Pattern extract, int maxTokens) {
    }

    private final String name;
    private final boolean multipleChoice;
    private final boolean normalize;
    private final List<Item> items;
    private final int batchSize;
    private final Generation generation;
    private final Tokenizer tokenizer;

    LanguageTask(String name, boolean multipleChoice, boolean normalize, List<Item> items, int batchSize, Generation generation,
                 Tokenizer tokenizer) {
        this.name = name;
        this.multipleChoice = multipleChoice;
        this.normalize = normalize;
        this.items = List.copyOf(items);
        this.batchSize = batchSize;
        this.generation = generation;
        this.tokenizer = tokenizer;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public boolean higherIsBetter() {
        return multipleChoice || generation != null; // perplexity's score is a loss
    }

    @Override
    public double[] score(Candidate candidate, NDManager scope, int[] datapoints) {
        List<Item> items = java.util.Arrays.stream(datapoints).mapToObj(this.items::get).toList();
        LlamaModel llama = new LlamaModel(LlamaConfig.of(candidate.config()));
        if (generation != null) {
            return generate(llama, candidate, scope, items);
        }
        List<int[]> sequences = new ArrayList<>();
        for (Item item : items) {
            if (multipleChoice) {
                for (int[] choice : item.choices()) {
                    sequences.add(concat(item.prompt(), choice));
                }
            } else {
                sequences.add(item.prompt());
            }
        }
        List<double[]> logp = new ArrayList<>();
        LayerProgram program = LayerProgram.identity(0, llama.config().layers());
        for (int from = 0; from < sequences.size(); from += batchSize) {
            try (NDManager batch = scope.newSubManager()) {
                logp.addAll(llama.tokenLogProbabilities(List.of(candidate.tensors()), program,
                        sequences.subList(from, Math.min(sequences.size(), from + batchSize)), batch));
            }
        }
        double[] scores = new double[items.size()];
        int next = 0;
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            if (!multipleChoice) {
                double[] lp = logp.get(next++);
                scores[i] = -java.util.Arrays.stream(lp).average().orElse(0);
                continue;
            }
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < item.choices().size(); c++) {
                double[] lp = logp.get(next++);
                int choiceTokens = item.choices().get(c).length;
                double sum = 0;
                // the choice's tokens are the last choiceTokens positions predicted
                for (int t = lp.length - choiceTokens; t < lp.length; t++) {
                    sum += lp[t];
                }
                double s = normalize ? sum / choiceTokens : sum;
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            scores[i] = best == item.answer() ? 1 : 0;
        }
        return scores;
    }

    private double[] generate(LlamaModel llama, Candidate candidate, NDManager scope, List<Item> items) {
        LayerProgram program = LayerProgram.identity(0, llama.config().layers());
        double[] scores = new double[items.size()];
        for (int i = 0; i < items.size(); i++) {
            // the answer is decoded as it is generated, a token's text at a time: decoding the whole answer after
            // every token made an answer of n tokens cost n² tokens of decoding
            IncrementalDecoder decoder = new IncrementalDecoder(tokenizer::decode);
            StopString answer = new StopString(generation.stop());
            try (NDManager one = scope.newSubManager()) {
                llama.generate(List.of(candidate.tensors()), program, items.get(i).prompt(), generation.maxTokens(),
                        token -> answer.append(decoder.next(token)), one);
            }
            answer.append(decoder.rest());
            scores[i] = items.get(i).expected().equals(extract(answer.text())) ? 1 : 0;
        }
        return scores;
    }

    private String extract(String text) {
        if (generation.extract() == null) {
            return text.strip();
        }
        var m = generation.extract().matcher(text);
        if (!m.find()) {
            return null;
        }
        return (m.groupCount() > 0 ? m.group(1) : m.group()).strip();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static Item question(int[] prompt, List<int[]> choices, int answer, String where) {
        if (prompt.length == 0) {
            throw new EvomergeException(where + "the prompt encodes to no tokens");
        }
        for (int[] c : choices) {
            if (c.length == 0) {
                throw new EvomergeException(where + "a choice encodes to no tokens");
            }
        }
        return new Item(prompt, List.copyOf(choices), answer, null);
    }

    static Item prompt(int[] prompt, String expected, String where) {
        if (prompt.length == 0) {
            throw new EvomergeException(where + "the prompt encodes to no tokens");
        }
        return new Item(prompt, List.of(), -1, expected.strip());
    }

    static Item text(int[] tokens, String where) {
        if (tokens.length < 2) {
            throw new EvomergeException(where + "the text encodes to fewer than 2 tokens: nothing to predict");
        }
        return new Item(tokens, List.of(), -1, null);
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
