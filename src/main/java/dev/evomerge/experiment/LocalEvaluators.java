package dev.evomerge.experiment;

import dev.evomerge.genome.Genome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N evaluators in this JVM, each with the problem opened once for it (its own models, on its own device),
 * each on its own thread taking the next waiting genome. With one evaluator the genomes are evaluated on the
 * caller's thread, as one batch, exactly as the plain loop does.
 */
public final class LocalEvaluators implements Evaluator {
    private final List<Problem> problems;
    private final List<Thread> threads = new ArrayList<>();
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();

    /** One genome of a batch: where its result goes, and the batch it completes. */
    private record Job(Genome genome, int index, Problem.Screen screen, Batch batch) {
    }

    private static final class Batch {
        final Evaluation[] results;
        final Throwable[] failures;
        final AtomicInteger left;
        final CompletableFuture<List<Evaluation>> done = new CompletableFuture<>();

        Batch(int size) {
            results = new Evaluation[size];
            failures = new Throwable[size];
            left = new AtomicInteger(size);
        }

        void finished() {
            if (left.decrementAndGet() > 0) {
                return;
            }
            for (Throwable f : failures) {
                if (f != null) {
                    done.completeExceptionally(f);
                    return;
                }
            }
            done.complete(Arrays.asList(results));
        }
    }

    /**
     * @param first the problem the caller already opened (evaluator 0; the Runner keeps using it between generations)
     * @param spec  what the others open
     */
    public LocalEvaluators(Problem first, ProblemSpec spec, Workers workers, String device) {
        problems = new ArrayList<>(List.of(first));
        try {
            for (int i = 1; i < workers.local(); i++) {
                problems.add(spec.open(workers.device(i, device)));
            }
        } catch (RuntimeException e) {
            problems.subList(1, problems.size()).forEach(Problem::close);
            throw e;
        }
        if (problems.size() > 1) {
            for (int i = 0; i < problems.size(); i++) {
                Problem p = problems.get(i);
                Thread t = Thread.ofPlatform().daemon().name("evaluator-" + i).start(() -> work(p));
                threads.add(t);
            }
        }
    }

    @Override
    public int slots() {
        return problems.size();
    }

    @Override
    public CompletableFuture<List<Evaluation>> submit(List<Genome> genomes, Problem.Screen screen) {
        if (threads.isEmpty()) {
            try {
                Problem p = problems.getFirst();
                return CompletableFuture.completedFuture(screen == null ? p.evaluate(genomes) : p.evaluate(genomes, screen));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Batch batch = new Batch(genomes.size());
        if (genomes.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        for (int i = 0; i < genomes.size(); i++) {
            queue.add(new Job(genomes.get(i), i, screen, batch));
        }
        return batch.done;
    }

    private void work(Problem problem) {
        try {
            while (true) {
                Job job = queue.take();
                try {
                    List<Genome> one = List.of(job.genome());
                    List<Evaluation> r = job.screen() == null ? problem.evaluate(one) : problem.evaluate(one, job.screen());
                    job.batch().results[job.index()] = r.getFirst();
                } catch (RuntimeException | Error e) {
                    job.batch().failures[job.index()] = e; // the loop thread rethrows it; this one stays to serve
                } finally {
                    job.batch().finished();
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    @Override
    public void close() {
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // evaluator 0's problem belongs to the caller
        problems.subList(1, problems.size()).forEach(Problem::close);
    }
}
