package dev.evomerge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.DigitsReproduction;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "m2n2", mixinStandardHelpOptions = true,
        description = "MLP 64-256-10 forward passes per second on digits beside the matmul FLOP rate; with --passes, the M2N2 "
                + "digits-from-scratch comparison (strategies on equal forward-pass budgets, test accuracy mean ± std).")
public final class BenchM2n2Command implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--repeats", defaultValue = "200", description = "Timed passes for the throughput line (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--passes", defaultValue = "0", description = "Forward-pass budget per run; 0 measures throughput only (paper: 50000).")
    int passes;

    @Option(names = "--seeds", defaultValue = "3", description = "Seeds per strategy (default ${DEFAULT-VALUE}; paper: 10).")
    int seeds;

    @Option(names = "--strategies", split = ",", defaultValue = "m2n2,cmaes,ga,map_elites",
            description = "Strategies compared (default ${DEFAULT-VALUE}).")
    List<String> strategies;

    @Override
    public Integer call() {
        PrintWriter out = new PrintWriter(System.out, true);
        try (DigitsReproduction digits = DigitsReproduction.ofDigits(0)) {
            digits.reportThroughput(out, repeats);
            if (passes <= 0) {
                return 0;
            }
            out.printf("%nfrom scratch, %d passes, %d seeds (digits split seed 0, 80/20)%n", passes, seeds);
            out.println("| strategy | hyperparameters | test accuracy (mean ± std) | train accuracy | wall s / run |");
            out.println("|---|---|---|---|---|");
            for (String name : strategies) {
                ObjectNode h = hyperparameters(name);
                List<DigitsReproduction.RunResult> runs = new ArrayList<>();
                for (int s = 0; s < seeds; s++) {
                    runs.add(digits.run(name, h, 1.0, s + 1, passes));
                }
                out.printf("| %s | %s | %s | %s | %.1f |%n", name, h, meanStd(runs, true), meanStd(runs, false),
                        runs.stream().mapToDouble(DigitsReproduction.RunResult::seconds).average().orElse(0));
            }
        }
        return 0;
    }

    /** The paper's settings: M2N2 from N(0, 0.01²) with 0.01 mutation; sep-CMA-ES, population 20, σ0 0.01. */
    static ObjectNode hyperparameters(String name) {
        ObjectNode h = new ObjectMapper().createObjectNode();
        switch (name) {
            case "m2n2" -> h.put("population", 20).put("init_std", 0.01).put("mutation_std", 0.01);
            case "cmaes" -> h.put("population", 20).put("sigma0", 0.01).put("separable", true);
            case "ga" -> h.put("population", 20);
            case "map_elites" -> h.put("population", 20).put("sigma", 0.01);
            case "random" -> h.put("population", 20);
            default -> throw new EvomergeException("bench m2n2 compares m2n2, cmaes, ga, map_elites and random, not " + name);
        }
        return h;
    }

    private static String meanStd(List<DigitsReproduction.RunResult> runs, boolean test) {
        double[] v = runs.stream().mapToDouble(r -> test ? r.testAccuracy() : r.trainAccuracy()).toArray();
        double mean = java.util.Arrays.stream(v).average().orElse(0);
        double var = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, v.length - 1);
        return String.format("%.1f %% ± %.1f", 100 * mean, 100 * Math.sqrt(var));
    }
}
