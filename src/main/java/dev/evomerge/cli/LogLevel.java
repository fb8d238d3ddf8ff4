package dev.evomerge.cli;

import dev.evomerge.experiment.ProgressDisplay;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code -v} / {@code -q} on every command. slf4j-simple reads its level from system properties when the
 * first logger is made, so this runs before any command does.
 */
public final class LogLevel {
    @Option(names = {"-v", "--verbose"}, description = "More log output (repeat for debug: -vv).")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-q", "--quiet"}, description = "Only warnings and errors.")
    boolean quiet;

    /** Where progress shows: nowhere under {@code -q}, else a bar on a terminal and a line every few seconds elsewhere. */
    ProgressDisplay progress() {
        return ProgressDisplay.onStandardError(quiet);
    }

    static void configure(CommandLine.ParseResult parsed) {
        int verbosity = 0;
        boolean quiet = false;
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            for (Object mixin : p.commandSpec().mixins().values().stream().map(m -> m.userObject()).toList()) {
                if (mixin instanceof LogLevel level) {
                    verbosity = Math.max(verbosity, level.verbose.length);
                    quiet |= level.quiet;
                }
            }
        }
        String ours = quiet ? "warn" : verbosity >= 2 ? "debug" : "info";
        // DJL is chatty at info (native extraction, thread counts): show it only when asked.
        String djl = verbosity >= 1 ? ours : "warn";
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", ours);
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", djl);
        // on a machine without CUDA, DJL warns at every engine start that it found no GPU: that is expected
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", verbosity >= 1 ? ours : "error");
        // Hazelcast warns in several lines about each member that goes (reconnects, suspicion, a new master): the cluster
        // evaluators say it in one; its errors still show
        System.setProperty("org.slf4j.simpleLogger.log.com.hazelcast", verbosity >= 1 ? ours : "error");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss");
        System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
    }
}
