package dev.evomerge.cli;

import picocli.CommandLine.Command;

/**
 * {@code evomerge bench NAME}: each benchmark measures a ratio against a floor measured in the same run
 * (these machines are noisy, so only same-run ratios mean anything).
 */
@Command(name = "bench",
        description = "Benchmarks; each prints its figures beside a floor measured in the same run.",
        mixinStandardHelpOptions = true,
        subcommands = {
                BenchIoCommand.class,
                BenchMergeCommand.class,
                BenchSearchCommand.class,
                BenchEvalCommand.class,
                BenchGenerateCommand.class,
                BenchM2n2Command.class,
                BenchReportCommand.class,
                BenchWorkersCommand.class,
                BenchEmbeddingsCommand.class,
        })
public final class BenchCommand {
}
