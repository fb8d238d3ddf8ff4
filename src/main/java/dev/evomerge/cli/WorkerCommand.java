package dev.evomerge.cli;

import dev.evomerge.cluster.ClusterWorker;
import dev.evomerge.cluster.MemberAddress;
import dev.evomerge.cluster.SharedSecret;
import dev.evomerge.experiment.ClusterSettings;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "worker", mixinStandardHelpOptions = true,
        description = {"Evaluate candidates for runs whose experiment says workers: {cluster: ...}, as a member of their Hazelcast cluster.",
                "Joins through --join (TCP/IP, no multicast), listens on --interface:--port, and takes work only from a driver "
                        + "holding the same secret (in the environment variable --secret-env). Opens each experiment's problem once, "
                        + "from the paths in the driver's config.yaml: this machine needs the models and tasks at those paths. "
                        + "Runs until stopped (Ctrl-C); a candidate in progress then goes to another worker."})
public final class WorkerCommand implements Callable<Integer> {
    @Mixin
    LogLevel logLevel;

    @Option(names = "--join", required = true, split = ",", paramLabel = "HOST:PORT",
            description = "Members to join through: the driver's address and/or other workers' (comma-separated or repeated).")
    List<String> join;

    @Option(names = "--device", description = "Evaluate on this device (cpu, gpu:N; default: the experiment's device).")
    String device;

    @Option(names = "--interface", defaultValue = ClusterSettings.DEFAULT_INTERFACE, paramLabel = "IP",
            description = "The IPv4 address to listen on (default ${DEFAULT-VALUE}: this machine only).")
    String networkInterface;

    @Option(names = "--port", defaultValue = "" + ClusterSettings.DEFAULT_PORT, description = "The port to listen on (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--secret-env", defaultValue = ClusterSettings.DEFAULT_SECRET_ENV, paramLabel = "NAME",
            description = "The environment variable holding the cluster's secret (default ${DEFAULT-VALUE}).")
    String secretEnv;

    @Override
    public Integer call() throws InterruptedException {
        List<MemberAddress> members = join.stream().map(a -> MemberAddress.parse(a, "--join")).toList();
        SharedSecret secret = SharedSecret.fromEnvironment(secretEnv);
        ClusterWorker worker = ClusterWorker.start(secret, device, networkInterface, port, members);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            stopped.countDown();
        }, "worker-shutdown"));
        System.out.println("evomerge worker at " + worker.address() + ", joined through " + members + ", evaluating on "
                + (device == null ? "each experiment's device" : device) + "; waiting for a driver (stop with Ctrl-C)");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
