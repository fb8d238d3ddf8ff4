package dev.evomerge.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code ./run.sh worker} started as a child process of this JVM (its java, class path and evomerge home), its
 * output kept line by line: for benchmarks and tests that need workers they can kill. It inherits this process's
 * environment, so the secret reaches it the way it reaches a worker started by hand.
 */
public final class WorkerProcess implements AutoCloseable {
    /** The line a worker prints once it is a member of the cluster. */
    public static final Predicate<String> READY = line -> line.startsWith("evomerge worker at ");
    /** The line a worker logs as it takes a candidate (before it evaluates it). */
    public static final Predicate<String> CANDIDATE = line -> line.contains("ClusterWorker - candidate ");

    private final String name;
    private final Process process;
    private final List<String> lines = new ArrayList<>();

    private WorkerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread.ofPlatform().daemon().name(name + "-output").start(this::collect);
    }

    /** Starts a worker listening on 127.0.0.1:{@code port} that joins through {@code join}. */
    public static WorkerProcess start(String name, int port, List<MemberAddress> join, String secretEnv) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "--add-modules", "jdk.incubator.vector",
                "-Devomerge.home=" + Path.of(System.getProperty("evomerge.home", ".")).toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), "dev.evomerge.cli.Main", "worker",
                "--join", String.join(",", join.stream().map(MemberAddress::toString).toList()), "--port", String.valueOf(port),
                "--secret-env", secretEnv);
        return new WorkerProcess(name, new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private void collect() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone; what it printed stays
        }
    }

    /** A loopback port nothing listens on now (the member binds it a moment later; another process may, rarely, take it first). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The first line that {@code matches}, waited for; an {@link IllegalStateException} with the output so far after {@code seconds}. */
    public String await(Predicate<String> matches, long seconds, String what) throws InterruptedException {
        return await(matches, 1, seconds, what);
    }

    /** The {@code n}th line that {@code matches}, waited for. */
    public String await(Predicate<String> matches, long n, long seconds, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        synchronized (lines) {
            while (true) {
                long seen = 0;
                for (String line : lines) {
                    if (matches.test(line) && ++seen == n) {
                        return line;
                    }
                }
                long left = end - System.nanoTime();
                if (left <= 0 || !process.isAlive()) {
                    throw new IllegalStateException(name + ": no " + what + " within " + seconds + " s; its output:\n" + String.join("\n", lines));
                }
                lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    public long count(Predicate<String> matches) {
        synchronized (lines) {
            return lines.stream().filter(matches).count();
        }
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, the worker vanishes mid-candidate as a crashed machine would (but its sockets close). */
    public void kill() {
        process.destroyForcibly();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
