package dev.evomerge.cluster;

import com.hazelcast.core.HazelcastInstance;
import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.Evaluation;
import dev.evomerge.experiment.ExperimentConfig;
import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.Problem;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process's member of the cluster ({@code ./run.sh worker}): it answers a driver's greeting under the
 * shared secret and evaluates the candidates the driver sends, one at a time, each with the problem the
 * candidate's experiment describes, opened once (sources resident) and kept while candidates of that
 * experiment come. It reads the models and tasks at the paths in the experiment (absolute, as the driver
 * resolved them), so a worker needs the same files at the same paths. Messages not signed under its secret are
 * refused, and said once per sender in its log. It writes nothing: the driver keeps the run directory.
 *
 * @implNote thread-safe; candidates are evaluated one at a time (the member's executor has one thread, and
 *     the problem is guarded by this object's lock).
 */
public final class ClusterWorker implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterWorker.class);

    private final SharedSecret secret;
    /** The device given on the command line, or null for each experiment's own. */
    private final String device;
    private final HazelcastInstance member;
    private final AtomicLong evaluated = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    /** Senders whose unsigned messages were already logged (one line each). */
    private final Set<String> refusedSenders = new LinkedHashSet<>();
    /** The last experiment text, and what its problem is opened from (problem section, seed, device). */
    private String experiment;
    private String problemKey;
    private Problem problem;
    private boolean closed;

    private ClusterWorker(SharedSecret secret, String device, String networkInterface, int port, List<MemberAddress> join) {
        this.secret = secret;
        this.device = device;
        this.member = HazelcastMember.start(HazelcastMember.WORKER, networkInterface, port, join,
                task -> task instanceof WorkerCall call ? (Callable<byte[]>) () -> answer(call) : task);
    }

    /** Starts a worker member listening on {@code networkInterface:port} and joining the cluster through {@code join}. */
    public static ClusterWorker start(SharedSecret secret, String device, String networkInterface, int port, List<MemberAddress> join) {
        if (device != null) {
            dev.evomerge.tensor.ComputeDevice.of(device);
        }
        return new ClusterWorker(secret, device, MemberAddress.checkInterface(networkInterface, "--interface"),
                MemberAddress.checkPort(port, "--port"), join);
    }

    /** Candidates evaluated so far (answers sent, failures included). */
    public long evaluated() {
        return evaluated.get();
    }

    /** Messages refused because they were not signed under this worker's secret. */
    public long refused() {
        return refused.get();
    }

    /** The address this worker listens on. */
    public MemberAddress address() {
        var a = member.getCluster().getLocalMember().getAddress();
        return new MemberAddress(a.getHost(), a.getPort());
    }

    /** The signed answer to one signed message; an empty one (which no secret verifies) to anything not signed under ours. */
    private byte[] answer(WorkerCall call) {
        byte[] body = secret.verified(call.signed());
        if (body == null) {
            refuse(call);
            return new byte[0];
        }
        WorkerMessage message;
        try {
            message = WorkerMessage.parse(body);
        } catch (IllegalArgumentException e) {
            LOGGER.warn("ignored a signed message this worker cannot read ({}): is the driver another version of evomerge?", e.getMessage());
            return new byte[0];
        }
        return switch (message) {
            case WorkerMessage.Hello hello -> secret.sign(new WorkerMessage.Welcome(hello.nonce(), device == null ? "the experiment's device" : device).toBytes());
            case WorkerMessage.Candidate candidate -> secret.sign(evaluate(candidate).toBytes());
            // answers travel the other way; one sent here is not the driver's doing
            case WorkerMessage.Welcome w -> new byte[0];
            case WorkerMessage.Evaluated e -> new byte[0];
        };
    }

    private void refuse(WorkerCall call) {
        refused.incrementAndGet();
        String sender;
        try {
            // unverified: good enough to tell the operator who it claims to be, never used for anything else
            sender = WorkerMessage.JSON.readTree(SharedSecret.unverifiedBody(call.signed())).path("from").asText("an unknown member");
        } catch (java.io.IOException | RuntimeException e) {
            sender = "an unknown member";
        }
        synchronized (refusedSenders) {
            if (refusedSenders.add(sender)) {
                LOGGER.warn("refused work from {}: not signed with this worker's secret (the driver's secret_env and this worker's differ)", sender);
            }
        }
    }

    private synchronized WorkerMessage.Evaluated evaluate(WorkerMessage.Candidate candidate) {
        try {
            LOGGER.info("candidate {} from {}", candidate.id(), candidate.from());
            long t0 = System.nanoTime();
            Problem p = problemFor(candidate.experiment());
            Problem.Screen screen = candidate.screen(p.objectives());
            List<dev.evomerge.genome.Genome> one = List.of(candidate.genome());
            Evaluation e = p.evaluate(one, screen).getFirst();
            double seconds = (System.nanoTime() - t0) / 1e9;
            return WorkerMessage.Evaluated.of(candidate.id(),
                    new LoggedEvaluation(0, 0, candidate.genome(), e, false, e.partial(), seconds).toJson(p.objectives()));
        } catch (EvomergeException e) {
            LOGGER.warn("candidate {}: {}", candidate.id(), e.getMessage());
            return WorkerMessage.Evaluated.failed(candidate.id(), e.getMessage(), true);
        } catch (RuntimeException | Error e) {
            LOGGER.error("candidate " + candidate.id() + " failed", e);
            return WorkerMessage.Evaluated.failed(candidate.id(), e.toString(), false);
        } finally {
            evaluated.incrementAndGet();
        }
    }

    /**
     * The problem of {@code yaml}, opened now unless it is the one already resident: the same problem section,
     * seed and device (a resumed driver's budget or workers may differ; the problem does not).
     */
    private Problem problemFor(String yaml) {
        if (closed) {
            throw new IllegalStateException("the worker is closing");
        }
        if (yaml.equals(experiment)) {
            return problem;
        }
        ExperimentConfig config = ExperimentConfig.parse(yaml, "the driver's experiment");
        String on = device != null ? device : config.device();
        String key = on + " " + config.seed() + " " + config.tree().get("problem");
        if (key.equals(problemKey)) {
            experiment = yaml;
            return problem;
        }
        if (problem != null) {
            LOGGER.info("a new experiment: closing the last one's problem");
            problem.close();
            problem = null;
            problemKey = null;
            experiment = null;
        }
        LOGGER.info("opening experiment {} on {} (its sources stay resident)", config.name(), on);
        problem = config.problem().open(on);
        problemKey = key;
        experiment = yaml;
        return problem;
    }

    /** Leaves the cluster (a candidate in progress finishes, its answer is lost; the driver gives it to another) and frees the problem. */
    @Override
    public void close() {
        member.shutdown();
        synchronized (this) {
            closed = true;
            if (problem != null) {
                problem.close();
                problem = null;
            }
        }
    }
}
