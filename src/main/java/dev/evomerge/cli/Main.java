package dev.evomerge.cli;

import dev.evomerge.EvomergeException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code evomerge} command line. Thin: each subcommand parses, calls one package, prints.
 * Subcommands are listed once, here.
 */
@Command(name = "evomerge",
        mixinStandardHelpOptions = true,
        version = "evomerge 0.1.0",
        description = "Evolutionary and multi-objective search for the best merge of fine-tuned models.",
        subcommands = {
                QuickstartCommand.class,
                InspectCommand.class,
                MergeCommand.class,
                RunCommand.class,
                ReproduceCommand.class,
                CompareCommand.class,
                ResumeCommand.class,
                WorkerCommand.class,
                FrontCommand.class,
                ExportCommand.class,
                PlotCommand.class,
                ReportCommand.class,
                TrainMlpCommand.class,
                BenchCommand.class,
                AotTrainingCommand.class,
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (see --help)");
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true"); // charts are drawn off screen
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code: 0 ok, 1 a user error, 2 bad flags. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionStrategy(parsed -> {
            LogLevel.configure(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (e instanceof EvomergeException) {
                commandLine.getErr().println("evomerge: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }
}
