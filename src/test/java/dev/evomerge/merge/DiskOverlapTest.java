package dev.evomerge.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.evomerge.tensor.PageCache;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading ahead on real files, evicted from the page cache first: the inputs of the next tasks are brought
 * into memory, no further ahead of the workers than the budget, and tasks are handed out once each, in order.
 */
class DiskOverlapTest {
    private static final int TASKS = 6;
    private static final int BYTES = 1 << 20;

    @Test
    void readsTheNextTasksWithinTheBudgetAndHandsEachTaskOutOnce(@TempDir Path dir) throws Exception {
        assumeTrue(PageCache.available(), "posix_fadvise is not available");
        List<Path> files = new ArrayList<>();
        Random random = new Random(1);
        for (int t = 0; t < TASKS; t++) {
            byte[] bytes = new byte[BYTES];
            random.nextBytes(bytes);
            Path file = dir.resolve("task" + t);
            Files.write(file, bytes);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            PageCache.evict(file);
            files.add(file);
        }
        try (Arena arena = Arena.ofShared()) {
            List<List<MemorySegment>> inputs = new ArrayList<>();
            for (Path file : files) {
                inputs.add(List.of(map(file, arena)));
            }
            assumeTrue(inputs.stream().noneMatch(in -> in.getFirst().isLoaded()), "the page cache kept the files");
            // a budget of two and a half tasks: tasks 0 and 1 are read, task 2 would pass it
            try (DiskOverlap disk = new DiskOverlap(inputs, 5L * BYTES / 2)) {
                assertTrue(eventually(() -> inputs.get(0).getFirst().isLoaded() && inputs.get(1).getFirst().isLoaded()));
                Thread.sleep(300);
                assertFalse(inputs.get(2).getFirst().isLoaded(), "read past the budget");
                assertEquals(0, disk.take());
                assertEquals(1, disk.take());
                // tasks 2 and 3 now fit within the budget ahead of the workers
                assertTrue(eventually(() -> inputs.get(3).getFirst().isLoaded()));
                Thread.sleep(300);
                assertFalse(inputs.get(4).getFirst().isLoaded(), "read past the budget");

                Set<Integer> handedOut = ConcurrentHashMap.newKeySet();
                AtomicInteger duplicates = new AtomicInteger();
                Thread[] workers = new Thread[2];
                for (int w = 0; w < workers.length; w++) {
                    workers[w] = new Thread(() -> {
                        for (int t = disk.take(); t >= 0; t = disk.take()) {
                            if (!handedOut.add(t)) {
                                duplicates.incrementAndGet();
                            }
                        }
                    });
                    workers[w].start();
                }
                for (Thread worker : workers) {
                    worker.join();
                }
                assertEquals(Set.of(2, 3, 4, 5), handedOut);
                assertEquals(0, duplicates.get());
                assertEquals(-1, disk.take());
            }
        }
    }

    @Test
    void aStoppedRunHandsOutNothingMore() {
        try (DiskOverlap disk = new DiskOverlap(List.of(List.of(), List.of(), List.of()), 0)) {
            assertEquals(0, disk.take());
            disk.stop();
            assertEquals(-1, disk.take());
        }
    }

    private static MemorySegment map(Path file, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
        }
    }

    private static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }
}
