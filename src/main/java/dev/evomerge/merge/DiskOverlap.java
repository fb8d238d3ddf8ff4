package dev.evomerge.merge;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps the disk busy while the CPUs merge. Workers take a disk merge's tasks in plan order from here; a
 * background thread reads the inputs of the tasks coming next into memory, up to a budget of bytes ahead
 * of the workers, and a second one writes each finished output tensor to disk.
 *
 * <p>Why: inputs are memory-mapped, so without read-ahead each worker would fault its pages in from disk
 * itself with its CPU idle, and the output would sit in memory until the final fsync wrote it all at the
 * end: the disk's time and the CPUs' would add up instead of overlapping.
 */
final class DiskOverlap implements AutoCloseable {
    /** How far ahead of the workers a disk merge reads its inputs. */
    static final long READ_AHEAD_BYTES = 512L << 20;

    private final List<List<MemorySegment>> inputs;
    private final long budgetBytes;
    private final AtomicInteger taken = new AtomicInteger();
    private final Thread reader;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> daemon(r, "evomerge-write-behind"));
    private volatile boolean closed;

    /**
     * Starts reading ahead: {@code inputs} holds each task's input bytes, in the order the tasks will be taken;
     * the next task's are read whatever their size, those after it while within {@code budgetBytes}.
     */
    DiskOverlap(List<List<MemorySegment>> inputs, long budgetBytes) {
        this.inputs = List.copyOf(inputs);
        this.budgetBytes = budgetBytes;
        reader = daemon(this::readAhead, "evomerge-read-ahead");
        reader.start();
    }

    /** The index of the next task for a worker, or -1 when all have been taken. */
    int take() {
        int task = taken.getAndIncrement();
        return task < inputs.size() ? task : -1;
    }

    /** Stops handing out tasks (after a failure). */
    void stop() {
        taken.set(inputs.size());
    }

    /** Writes a finished output to disk in the background ({@code flush} forces its bytes). */
    void written(Runnable flush) {
        if (!closed) {
            writer.execute(() -> {
                try {
                    flush.run();
                } catch (RuntimeException e) {
                    // writing early only saves time: the final fsync writes these bytes again and reports a failure
                }
            });
        }
    }

    private void readAhead() {
        long[] sizes = inputs.stream().mapToLong(list -> list.stream().mapToLong(MemorySegment::byteSize).sum()).toArray();
        try {
            for (int task = 0; task < inputs.size() && !closed; task++) {
                while (!closed && task > taken.get() && ahead(sizes, task) > budgetBytes) {
                    Thread.sleep(1);
                }
                if (task < taken.get()) {
                    continue; // already under way: its worker reads for itself
                }
                for (MemorySegment bytes : inputs.get(task)) {
                    if (closed) {
                        return;
                    }
                    if (bytes.isMapped()) {
                        bytes.load();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // reading ahead only warms the cache; the worker that reads these bytes reports any failure
        }
    }

    /** The bytes of tasks from the next one to be taken through {@code task}. */
    private long ahead(long[] sizes, int task) {
        long sum = 0;
        for (int t = taken.get(); t <= task; t++) {
            sum += sizes[t];
        }
        return sum;
    }

    /** Stops reading ahead and waits for the writes under way (the final fsync covers the rest). */
    @Override
    public void close() {
        closed = true;
        reader.interrupt();
        writer.shutdownNow();
        try {
            reader.join();
            writer.awaitTermination(1, TimeUnit.DAYS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable work, String name) {
        Thread thread = new Thread(work, name);
        thread.setDaemon(true);
        return thread;
    }
}
