package dev.evomerge.cli;

import dev.evomerge.EvomergeException;
import dev.evomerge.fitness.Digits;
import dev.evomerge.fitness.LabelledData;
import dev.evomerge.fitness.MlpClassifier;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train-mlp", mixinStandardHelpOptions = true,
        description = {"Train an MLP classifier on the digits (full-batch Adam) and write it as a checkpoint.",
                "Models trained from the same --init-seed share an ancestor (--epochs 0 writes it), so they merge."})
public final class TrainMlpCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The checkpoint directory to write.")
    Path out;

    @Option(names = "--sizes", defaultValue = "64,256,10", split = ",", description = "Layer sizes (default ${DEFAULT-VALUE}).")
    List<Integer> sizes;

    @Option(names = "--labels", description = "Train only on these digits, e.g. 0-4 or 5,6,7 (default: all).")
    String labels;

    @Option(names = "--epochs", defaultValue = "10", description = "Full-batch Adam steps (default ${DEFAULT-VALUE}; 0 = the initialization).")
    int epochs;

    @Option(names = "--lr", defaultValue = "3e-3", description = "Learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--init-seed", defaultValue = "0", description = "Seed of the N(0, 0.01²) initialization (default ${DEFAULT-VALUE}).")
    long initSeed;

    @Option(names = "--split-seed", defaultValue = "0", description = "Seed of the 60/20/20 train/validation/test split; the model trains on the train part (default ${DEFAULT-VALUE}).")
    long splitSeed;

    @Option(names = "--overwrite", description = "Replace DIR if it exists.")
    boolean overwrite;

    @Override
    public Integer call() {
        MlpClassifier mlp = new MlpClassifier(sizes);
        LabelledData train = Digits.part(dev.evomerge.fitness.DataSplit.TRAIN, splitSeed);
        if (labels != null) {
            train = train.withLabels(parseLabels(labels));
        }
        Map<String, float[]> weights = mlp.initialize(initSeed, 0.01);
        if (epochs > 0) {
            weights = mlp.train(weights, train, epochs, lr);
        }
        Path written = mlp.write(out, weights, overwrite);
        System.out.printf("wrote %s: MLP %s, %d parameters, %d epochs on %d digits%n", written, sizes, mlp.parameterCount(), epochs, train.size());
        return 0;
    }

    static Set<Integer> parseLabels(String text) {
        Set<Integer> set = new HashSet<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            try {
                if (p.contains("-")) {
                    int a = Integer.parseInt(p.substring(0, p.indexOf('-')));
                    int b = Integer.parseInt(p.substring(p.indexOf('-') + 1));
                    for (int i = a; i <= b; i++) {
                        set.add(i);
                    }
                } else {
                    set.add(Integer.parseInt(p));
                }
            } catch (NumberFormatException e) {
                throw new EvomergeException("--labels: bad label list '" + text + "': use e.g. 0-4 or 1,3,5");
            }
        }
        return set;
    }
}
