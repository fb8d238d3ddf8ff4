package dev.evomerge.cli;

import dev.evomerge.experiment.EmbeddingBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "embeddings", mixinStandardHelpOptions = true,
        description = {"Candidates per minute of an embedding experiment (ONNX text encoders) at its tasks' sizes, split into",
                "merging, patching the ONNX model, building the ONNX Runtime session, and inference.",
                "Needs the models: bash fitness/fetch-embedding-models.sh"})
public final class BenchEmbeddingsCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--experiment", defaultValue = "experiments/embeddings-pareto.yaml",
            description = "The experiment whose problem is timed (default ${DEFAULT-VALUE}).")
    Path experiment;

    @Option(names = "--candidates", defaultValue = "4", description = "Timed candidates, after one of warm-up (default ${DEFAULT-VALUE}).")
    int candidates;

    @Override
    public Integer call() {
        Path file = experiment.isAbsolute() || java.nio.file.Files.exists(experiment) ? experiment
                : Path.of(System.getProperty("evomerge.home", ".")).resolve(experiment);
        EmbeddingBenchmark.report(EmbeddingBenchmark.measure(file, candidates), new PrintWriter(System.out, true));
        return 0;
    }
}
