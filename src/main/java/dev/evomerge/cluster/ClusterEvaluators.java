package dev.evomerge.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.HazelcastInstance;
import dev.evomerge.EvomergeException;
import dev.evomerge.experiment.ClusterSettings;
import dev.evomerge.experiment.Evaluation;
import dev.evomerge.experiment.EvaluationBatch;
import dev.evomerge.experiment.Evaluator;
import dev.evomerge.experiment.LoggedEvaluation;
import dev.evomerge.experiment.Objective;
import dev.evomerge.experiment.Problem;
import dev.evomerge.genome.Genome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's side of a cluster of worker processes: a Hazelcast member in the Runner's JVM that greets
 * every worker member under the shared secret and gives each one that answers correctly one candidate at a time.
 * Results go back into the batch by genome index, so the Runner sees them in genome order whichever worker took
 * which; only the Runner logs them, once per batch.
 *
 * <p>Workers may come and go: one that joins gets the next waiting candidate; one that leaves or is killed
 * mid-candidate (Hazelcast reports the member gone within about a second of its connection closing) has its
 * candidate put first in line for the others. Evaluation is deterministic per genome, so a resubmitted
 * candidate's result is the one it would have had. A driver that is stopped and resumed joins the same workers
 * again, and they keep the experiment's problem open. A member that does not answer under the secret is logged
 * once and gets no work; an answer that does not verify, or answers another candidate, is refused.
 *
 * @implNote thread-safe: Hazelcast's callbacks and the Runner's thread meet under this object's lock; batches
 *     are completed outside it.
 */
public final class ClusterEvaluators implements Evaluator {
    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterEvaluators.class);
    /** A candidate whose evaluation has lost this many workers in a row fails the run: something in it kills them (memory?). */
    static final int MOST_WORKERS_LOST = 5;
    /** How long starting waits for the workers already in the cluster to answer; later answers are taken as they come. */
    private static final long GREETING_SECONDS = 30;

    private final ClusterSettings settings;
    private final SharedSecret secret;
    private final String experiment;
    private final List<Objective> objectives;
    private final HazelcastInstance member;
    private final String from;
    /** Candidate ids are unique across driver sessions, so no answer to an earlier session can pass for one of this. */
    private final String session = UUID.randomUUID().toString();
    private long submitted;
    private final Deque<Job> waiting = new ArrayDeque<>();
    /** Members that answered the greeting, in the order they did. */
    private final Map<UUID, Worker> workers = new LinkedHashMap<>();
    private final Set<UUID> greeted = new HashSet<>();
    /** Greetings not answered yet (answered, refused or failed). */
    private final Set<UUID> greeting = new HashSet<>();
    private final List<MemberAddress> refused = new ArrayList<>();
    private boolean saidWaiting;
    private boolean closed;

    /** One genome of a batch, its number in this session, and how many workers were lost while evaluating it. */
    private record Job(Genome genome, int index, Problem.Screen screen, EvaluationBatch batch, long number, int lost) {
        Job lostOnce() {
            return new Job(genome, index, screen, batch, number, lost + 1);
        }
    }

    /** A verified worker and the candidate it is evaluating (null: idle); the id is the one its answer must carry. */
    private static final class Worker {
        final Member member;
        Job job;
        String id;

        Worker(Member member) {
            this.member = member;
        }

        MemberAddress address() {
            return addressOf(member);
        }
    }

    private ClusterEvaluators(ClusterSettings settings, SharedSecret secret, String experiment, List<Objective> objectives) {
        this.settings = settings;
        this.secret = secret;
        this.experiment = experiment;
        this.objectives = List.copyOf(objectives);
        this.member = HazelcastMember.start(HazelcastMember.DRIVER, settings.networkInterface(), settings.port(), settings.members(), null);
        this.from = addressOf(member.getCluster().getLocalMember()).toString();
    }

    /**
     * Joins the cluster as its driver and greets the workers in it.
     *
     * @param experiment the experiment's YAML as the workers parse it (config.yaml: model paths absolute)
     * @param objectives the problem's objectives, to read the workers' evaluations
     */
    public static ClusterEvaluators start(ClusterSettings settings, SharedSecret secret, String experiment, List<Objective> objectives) {
        ClusterEvaluators evaluators = new ClusterEvaluators(settings, secret, experiment, objectives);
        evaluators.member.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                evaluators.greet(event.getMember());
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                evaluators.left(event.getMember());
            }
        });
        // after the listener: a member that joins in between is greeted once, by whichever comes first
        evaluators.member.getCluster().getMembers().forEach(evaluators::greet);
        LOGGER.info("cluster driver at {}: joined through {}", evaluators.from, settings.members());
        evaluators.awaitGreetings(GREETING_SECONDS);
        return evaluators;
    }

    /** Waits until the workers already in the cluster have answered the greeting, so the first generation finds them. */
    private synchronized void awaitGreetings(long seconds) {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
        try {
            while (!greeting.isEmpty() && System.nanoTime() < end) {
                wait(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Workers that answered under the secret and are still members, in the order they joined. */
    public synchronized List<MemberAddress> workers() {
        return workers.values().stream().map(Worker::address).toList();
    }

    /** Members that answered the greeting without the secret, in the order they did (each gets no work). */
    public synchronized List<MemberAddress> refused() {
        return List.copyOf(refused);
    }

    /** The verified workers, each evaluating one candidate at a time (1 while none has joined yet). */
    @Override
    public synchronized int slots() {
        return Math.max(1, workers.size());
    }

    @Override
    public CompletableFuture<List<Evaluation>> submit(List<Genome> genomes, Problem.Screen screen) {
        EvaluationBatch batch = new EvaluationBatch(genomes.size());
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the cluster evaluators are closed");
            }
            for (int i = 0; i < genomes.size(); i++) {
                waiting.addLast(new Job(genomes.get(i), i, screen, batch, submitted++, 0));
            }
            dispatch();
        }
        return batch.done();
    }

    /** Gives waiting candidates to idle workers; under the lock. */
    private void dispatch() {
        while (!closed && !waiting.isEmpty()) {
            Worker idle = workers.values().stream().filter(w -> w.job == null).findFirst().orElse(null);
            if (idle == null) {
                if (workers.isEmpty() && greeting.isEmpty() && !saidWaiting) {
                    saidWaiting = true;
                    LOGGER.warn("no worker has joined with this run's secret yet; waiting (start one with: ./run.sh worker --join {})", from);
                }
                return;
            }
            Job job = waiting.pollFirst();
            // the same candidate keeps its number when it goes to another worker; the attempt tells the answers apart
            String id = session + "/" + job.number() + "." + (job.lost() + 1);
            byte[] signed;
            try {
                signed = secret.sign(WorkerMessage.Candidate.of(id, from, experiment, job.genome(), job.screen()).toBytes());
            } catch (RuntimeException e) {
                fail(job, e);
                continue;
            }
            idle.job = job;
            idle.id = id;
            try {
                member.getExecutorService(HazelcastMember.EVALUATE).submitToMember(new WorkerCall(signed), idle.member, new ExecutionCallback<byte[]>() {
                    @Override
                    public void onResponse(byte[] answer) {
                        answered(idle, job, answer);
                    }

                    @Override
                    public void onFailure(Throwable t) {
                        synchronized (ClusterEvaluators.this) {
                            lost(idle, job, t.getClass().getSimpleName());
                        }
                    }
                });
            } catch (RuntimeException e) {
                lost(idle, job, e.getClass().getSimpleName());
            }
        }
    }

    /** A worker's answer to {@code job}: verified, checked to be about it, and put into its batch. */
    private void answered(Worker worker, Job job, byte[] answer) {
        String id;
        synchronized (this) {
            if (closed || worker.job != job) {
                return; // the candidate was given to another worker already
            }
            id = worker.id;
            worker.job = null;
            worker.id = null;
        }
        Evaluation evaluation = null;
        RuntimeException failure = null;
        String refusal = null;
        byte[] body = secret.verified(answer);
        if (body == null) {
            refusal = "its answer is not signed with this run's secret";
        } else {
            try {
                if (!(WorkerMessage.parse(body) instanceof WorkerMessage.Evaluated e) || !e.id().equals(id)) {
                    refusal = "it answered another candidate than the one it was given";
                } else if (e.evaluation() == null) {
                    String where = "cluster worker " + worker.address() + ": ";
                    failure = e.userError() ? new EvomergeException(where + e.error()
                            + " (a worker reads the models and tasks at the paths in the driver's config.yaml)")
                            : new IllegalStateException(where + e.error());
                } else {
                    LoggedEvaluation logged = LoggedEvaluation.parse(e.evaluation(), objectives);
                    if (!logged.genome().equals(job.genome())) {
                        refusal = "it answered for another genome";
                    } else {
                        evaluation = logged.evaluation();
                    }
                }
            } catch (RuntimeException e) {
                refusal = "its answer is unreadable (" + e.getMessage() + ")";
            }
        }
        if (refusal != null) {
            synchronized (this) {
                refuse(worker.member, refusal);
                requeue(job);
                dispatch();
            }
            return;
        }
        if (failure != null) {
            fail(job, failure);
        } else {
            job.batch().succeeded(job.index(), evaluation);
        }
        synchronized (this) {
            dispatch();
        }
    }

    /** The worker can no longer answer for {@code job}: it goes first in line for the others; under the lock. */
    private void lost(Worker worker, Job job, String why) {
        if (closed || worker.job != job) {
            return;
        }
        worker.job = null;
        worker.id = null;
        workers.remove(worker.member.getUuid());
        boolean member = this.member.getCluster().getMembers().contains(worker.member);
        LOGGER.warn("lost cluster worker {} ({}) in the middle of a candidate: it goes to another worker", worker.address(), why);
        if (job.lost() + 1 >= MOST_WORKERS_LOST) {
            fail(job, new EvomergeException("a candidate lost " + MOST_WORKERS_LOST + " cluster workers in a row (the last: " + worker.address()
                    + "); something in it stops them (out of memory?): see the workers' logs. Genome: " + job.genome()));
        } else {
            requeue(job.lostOnce());
        }
        if (member) {
            // still in the cluster (a dropped call, not a departure): greet it again, and it gets work if it answers
            greeted.remove(worker.member.getUuid());
            greet(worker.member);
        }
        dispatch();
    }

    private void requeue(Job job) {
        waiting.addFirst(job);
    }

    private void fail(Job job, RuntimeException failure) {
        job.batch().failed(job.index(), failure);
    }

    /** Greets a worker member once: only one that answers under the secret becomes a worker. */
    private void greet(Member m) {
        if (m.localMember() || !HazelcastMember.WORKER.equals(m.getAttribute(HazelcastMember.ROLE))) {
            return;
        }
        String nonce;
        synchronized (this) {
            if (closed || !greeted.add(m.getUuid())) {
                return;
            }
            greeting.add(m.getUuid());
            nonce = UUID.randomUUID().toString();
        }
        byte[] hello = secret.sign(new WorkerMessage.Hello(nonce, from).toBytes());
        try {
            member.getExecutorService(HazelcastMember.HELLO).submitToMember(new WorkerCall(hello), m, new ExecutionCallback<byte[]>() {
                @Override
                public void onResponse(byte[] answer) {
                    welcomed(m, nonce, answer);
                }

                @Override
                public void onFailure(Throwable t) {
                    LOGGER.debug("greeting {} failed: {}", addressOf(m), t.toString());
                    synchronized (ClusterEvaluators.this) {
                        greeted.remove(m.getUuid()); // it may be greeted again if it comes back
                        greeted(m);
                    }
                }
            });
        } catch (RuntimeException e) {
            LOGGER.debug("cannot greet {}: {}", addressOf(m), e.toString());
            synchronized (this) {
                greeted.remove(m.getUuid());
                greeted(m);
            }
        }
    }

    private void welcomed(Member m, String nonce, byte[] answer) {
        byte[] body = secret.verified(answer);
        WorkerMessage message = null;
        if (body != null) {
            try {
                message = WorkerMessage.parse(body);
            } catch (IllegalArgumentException e) {
                message = null;
            }
        }
        synchronized (this) {
            try {
                if (closed || !this.member.getCluster().getMembers().contains(m)) {
                    return;
                }
                if (!(message instanceof WorkerMessage.Welcome welcome) || !welcome.nonce().equals(nonce)) {
                    refuse(m, "it did not answer the greeting under this run's secret");
                    return;
                }
                workers.put(m.getUuid(), new Worker(m));
                saidWaiting = false;
                LOGGER.info("cluster worker {} joined (evaluating on {}); {} worker(s)", addressOf(m), welcome.device(), workers.size());
            } finally {
                greeted(m);
            }
            dispatch();
        }
    }

    /** The greeting of {@code m} has its outcome; under the lock. */
    private void greeted(Member m) {
        greeting.remove(m.getUuid());
        if (greeting.isEmpty()) {
            notifyAll();
            dispatch(); // says that it waits, if no worker came of it
        }
    }

    /** Logs a member that fails the secret (once) and keeps work away from it; under the lock. */
    private void refuse(Member m, String why) {
        workers.remove(m.getUuid());
        MemberAddress address = addressOf(m);
        if (!refused.contains(address)) {
            refused.add(address);
            LOGGER.warn("cluster member {} gets no work: {} (is {} the same there?)", address, why, settings.secretEnv());
        }
    }

    private synchronized void left(Member m) {
        greeted.remove(m.getUuid());
        Worker w = workers.get(m.getUuid());
        if (w == null) {
            return;
        }
        if (w.job != null) {
            lost(w, w.job, "it left the cluster");
        } else {
            workers.remove(m.getUuid());
            LOGGER.info("cluster worker {} left; {} worker(s)", w.address(), workers.size());
        }
    }

    private static MemberAddress addressOf(Member m) {
        return new MemberAddress(m.getAddress().getHost(), m.getAddress().getPort());
    }

    /** Leaves the cluster; batches still waiting end with an error. The workers keep running, and keep their problem open. */
    @Override
    public void close() {
        List<Job> abandoned = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            abandoned.addAll(waiting);
            waiting.clear();
            workers.values().stream().filter(w -> w.job != null).forEach(w -> abandoned.add(w.job));
        }
        IllegalStateException closing = new IllegalStateException("the cluster evaluators were closed");
        abandoned.forEach(j -> j.batch().abandon(closing));
        member.shutdown();
    }
}
