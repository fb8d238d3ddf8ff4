package dev.evomerge.cli;

import dev.evomerge.experiment.Export;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.ProgressDisplay;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.experiment.Runner;
import dev.evomerge.fitness.Digits;
import dev.evomerge.fitness.LabelledData;
import dev.evomerge.fitness.MlpClassifier;
import dev.evomerge.merge.MergeEngine;
import dev.evomerge.report.HtmlReport;
import dev.evomerge.report.LiveReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"A small real experiment end to end, in about a minute: fetch the digits, train two MLPs from one",
                "initialization (digits 0–4 and 5–9), search per-layer merge weights with NSGA-II (one objective per half),",
                "export the balanced point of the front, plot, report; then say where everything is."})
public final class QuickstartCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--no-progress", description = "No progress bar or progress lines.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("evomerge.home", ".")).toAbsolutePath().normalize();
        Path experiment = home.resolve("experiments/digits-halves-nsga2.yaml");
        Path models = home.resolve("models/digits");
        System.out.println("1/5 digits: " + Digits.fetch());
        trainIfMissing(models);
        ExperimentConfig config = ExperimentConfig.parse(Files.readString(experiment), experiment.toString(), home);
        Path runDir;
        System.out.println("3/5 search: NSGA-II over per-layer task-arithmetic weights, objectives: accuracy on 0–4 and on 5–9");
        try (Runner runner = Runner.start(config.withOutput(home.resolve("results")), null)) {
            runDir = runner.runDir();
            Summaries.print(runner.run(noProgress ? ProgressDisplay.NONE : logLevel.progress()));
        }
        RunResults results = RunResults.read(runDir);
        Path merged = runDir.resolve("merged-balanced");
        Export.Result exported = Export.write(results, "weights:1,1", merged, false, MergeEngine.Progress.NONE);
        System.out.printf("4/5 export: the balanced front point (evaluation %d) → %s, rescored %s%n", exported.chosen().number(),
                merged, java.util.Arrays.toString(exported.rescored()));
        try (LiveReport live = new LiveReport(runDir, 0)) {
            live.draw();
        }
        System.out.println("5/5 plots and report: " + runDir.resolve("plots") + ", " + runDir.resolve(HtmlReport.FILE));
        Path run = shown(runDir);
        System.out.printf("%nWhat next:%n"
                        + "  ./run.sh front %1$s%n      the Pareto front, numbered%n"
                        + "  ./run.sh export %1$s --pick front:3 --out my-merge%n      any point of it as a checkpoint%n"
                        + "  ./run.sh resume %1$s --generations 40%n      continue the search with a larger budget%n"
                        + "  ./run.sh merge %2$s/recipe.yaml --out again%n      the exported recipe merged again, bit for bit%n"
                        + "  edit %3$s%n      another strategy (ga, cmaes, m2n2, map, random), more layer groups, other ranges%n"
                        + "  ./run.sh run experiments/digits-halves-map.yaml%n      MAP: the front predicted by quadratic surrogates, then checked%n"
                        + "  ./run.sh reproduce experiments/m2n2-digits-halves.yaml%n      the M2N2 paper's digits comparison (10 seeds)%n",
                run, shown(merged), shown(experiment));
        return 0;
    }

    /** A path as short as it can be said from the working directory. */
    private static Path shown(Path p) {
        Path cwd = Path.of("").toAbsolutePath();
        return p.startsWith(cwd) ? cwd.relativize(p) : p;
    }

    /** The three models of the experiment: the shared initialization and one MLP per half of the digits. */
    private static void trainIfMissing(Path models) {
        MlpClassifier mlp = MlpClassifier.of(64, 256, 10);
        if (Files.exists(models.resolve("high/config.json"))) {
            System.out.println("2/5 models: " + models + " (already trained)");
            return;
        }
        // the train part only: the search selects on the validation part and the run reports the test part
        LabelledData train = Digits.part(dev.evomerge.fitness.DataSplit.TRAIN, 0);
        Map<String, float[]> init = mlp.initialize(0, 0.01);
        mlp.write(models.resolve("init"), init, true);
        mlp.write(models.resolve("low"), mlp.train(init, train.withLabels(Set.of(0, 1, 2, 3, 4)), 40, 3e-3), true);
        mlp.write(models.resolve("high"), mlp.train(init, train.withLabels(Set.of(5, 6, 7, 8, 9)), 40, 3e-3), true);
        System.out.println("2/5 models: " + models + " (init, low: digits 0–4, high: digits 5–9; 40 Adam steps each)");
    }
}
