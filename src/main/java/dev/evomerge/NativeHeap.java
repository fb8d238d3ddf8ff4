package dev.evomerge;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The bytes glibc's allocator has handed out and not yet had back, as its own {@code mallinfo2()} counts
 * them: small and medium blocks ({@code uordblks}) plus blocks mapped on their own ({@code hblkhd}), summed
 * over every arena. PyTorch's CPU allocator takes its tensors from malloc, so this is the figure a native
 * leak moves; a count of DJL's managed arrays would not see an array kept alive in a live manager. For tests
 * of native memory and for benchmarks; on a C library without {@code mallinfo2} (not glibc 2.33 or later) it is
 * not {@link #available()}.
 *
 * @implNote thread-safe.
 */
public final class NativeHeap {
    private static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("arena"), ValueLayout.JAVA_LONG.withName("ordblks"),
            ValueLayout.JAVA_LONG.withName("smblks"), ValueLayout.JAVA_LONG.withName("hblks"),
            ValueLayout.JAVA_LONG.withName("hblkhd"), ValueLayout.JAVA_LONG.withName("usmblks"),
            ValueLayout.JAVA_LONG.withName("fsmblks"), ValueLayout.JAVA_LONG.withName("uordblks"),
            ValueLayout.JAVA_LONG.withName("fordblks"), ValueLayout.JAVA_LONG.withName("keepcost"));
    private static final VarHandle MAPPED = MALLINFO2.varHandle(MemoryLayout.PathElement.groupElement("hblkhd"));
    private static final VarHandle ALLOCATED = MALLINFO2.varHandle(MemoryLayout.PathElement.groupElement("uordblks"));
    private static final MethodHandle MALLINFO = Linker.nativeLinker().defaultLookup().find("mallinfo2")
            .map(f -> Linker.nativeLinker().downcallHandle(f, FunctionDescriptor.of(MALLINFO2))).orElse(null);
    /** The total line of a native memory summary: "malloc: 16601764 #53511, peak=...". */
    private static final java.util.regex.Pattern JVM_MALLOC = java.util.regex.Pattern.compile("malloc: (\\d+) #");

    private NativeHeap() {
    }

    /** Whether this C library reports its allocator's figures (glibc 2.33 or later). */
    public static boolean available() {
        return MALLINFO != null;
    }

    /** Bytes in use in malloc's heap now, the JVM's own included. */
    public static long inUse() {
        if (MALLINFO == null) {
            throw new IllegalStateException("no mallinfo2 in this C library (glibc 2.33 or later has it)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = (MemorySegment) MALLINFO.invokeExact((SegmentAllocator) arena);
            return (long) ALLOCATED.get(info, 0L) + (long) MAPPED.get(info, 0L);
        } catch (Throwable e) {
            throw new IllegalStateException("mallinfo2 failed", e);
        }
    }

    /**
     * Bytes in use in malloc's heap less what the JVM itself has malloc'd, as its native memory tracking counts
     * it, read after a collection. The JVM's share (its compilers' arenas, direct buffers not yet collected)
     * jumps by megabytes for seconds at a time, and a few hundred bytes per DJL array made stay outside it until
     * the collector has run; either would hide or fake a leak. Needs a JVM started with
     * {@code -XX:NativeMemoryTracking=summary}, best with {@code GLIBC_TUNABLES=glibc.malloc.tcache_count=0} in
     * its environment (freed blocks kept in a thread's cache count as in use).
     */
    public static long outsideTheJvm() {
        System.gc();
        // the JVM may malloc between the two readings (a compiler thread): read its share before and after,
        // and take a reading where it held still
        for (int attempt = 0; ; attempt++) {
            long before = jvmMalloc();
            long heap = inUse();
            long after = jvmMalloc();
            if (Math.abs(after - before) < 16 * 1024 || attempt == 20) {
                return heap - (before + after) / 2;
            }
        }
    }

    private static long jvmMalloc() {
        String summary;
        try {
            summary = (String) java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary", "scale=b"}}, new String[] {String[].class.getName()});
        } catch (javax.management.JMException e) {
            throw new IllegalStateException("cannot read the JVM's native memory summary", e);
        }
        java.util.regex.Matcher total = JVM_MALLOC.matcher(summary);
        if (!total.find()) {
            throw new IllegalStateException("no malloc total in the JVM's native memory summary (start it with "
                    + "-XX:NativeMemoryTracking=summary): " + summary.strip());
        }
        return Long.parseLong(total.group(1));
    }
}
