package dev.evomerge.cli;

import dev.evomerge.experiment.RunDirectory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.HeldoutComparison;
import dev.evomerge.experiment.RunResults;
import dev.evomerge.experiment.Runner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "front", mixinStandardHelpOptions = true, description = "List a run's Pareto front, numbered (best of the first objective first), with its held-out scores and paired tests against the references.")
public final class FrontCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Parameters(index = "0", paramLabel = "RUN_DIR")
    Path runDir;

    @Override
    public Integer call() {
        Path file = runDir.resolve(RunDirectory.PARETO);
        if (!Files.isRegularFile(file)) {
            throw new EvomergeException(runDir + ": no " + RunDirectory.PARETO + " (not a run directory, or no generation finished yet)");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new EvomergeException(file + ": unreadable: " + e.getMessage());
        }
        StringBuilder header = new StringBuilder(String.format("%-4s %-8s %-6s", "#", "eval", "gen"));
        for (JsonNode o : root.get("objectives")) {
            header.append(String.format(" %14s", o.get("name").asText() + (o.get("direction").asText().equals("maximize") ? " ↑" : " ↓")));
        }
        System.out.println(header);
        int k = 0;
        for (JsonNode e : root.get("front")) {
            StringBuilder line = new StringBuilder(String.format("%-4d %-8d %-6d", k++, e.get("n").asLong(), e.get("generation").asLong()));
            for (JsonNode o : root.get("objectives")) {
                line.append(String.format(" %14.6g", e.get("objectives").get(o.get("name").asText()).asDouble()));
            }
            System.out.println(line);
        }
        HeldoutComparison heldout = HeldoutComparison.of(RunResults.read(runDir));
        if (heldout != null) {
            System.out.println();
            System.out.print(heldout.toText());
        }
        return 0;
    }
}
