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
 *       each token after the first (lower is better: make it an objective to minimize).</li>
 * </ul>
 * Sequences are scored in right-padded batches of {@code batchSize}.
 */
public final class LanguageTask implements Task {
    /** One multiple-choice question or one text: token ids, and for questions the answer. */
    record Item(int[] prompt, List<int[]> choices, int answer) {
    }

    private final String name;
    private final boolean multipleChoice;
    private final boolean normalize;
    private final List<Item> items;
    private final int batchSize;

    LanguageTask(String name, boolean multipleChoice, boolean normalize, List<Item> items, int batchSize) {
        this.name = name;
        this.multipleChoice = multipleChoice;
        this.normalize = normalize;
        this.items = List.copyOf(items);
        this.batchSize = batchSize;
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
    public double[] score(Candidate candidate, NDManager scope) {
        LlamaModel llama = new LlamaModel(LlamaConfig.of(candidate.config()));
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
        LayerProgram program = candidate.program() != null ? candidate.program() : LayerProgram.identity(0, llama.config().layers());
        for (int from = 0; from < sequences.size(); from += batchSize) {
            try (NDManager batch = scope.newSubManager()) {
                logp.addAll(llama.tokenLogProbabilities(candidate.models(), program,
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
        return new Item(prompt, List.copyOf(choices), answer);
    }

    static Item text(int[] tokens, String where) {
        if (tokens.length < 2) {
            throw new EvomergeException(where + "the text encodes to fewer than 2 tokens: nothing to predict");
        }
        return new Item(tokens, List.of(), -1);
    }

    @Override
    public void close() {
    }
}
