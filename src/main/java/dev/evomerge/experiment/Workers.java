package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.tensor.ComputeDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Where a run's candidates are evaluated: {@code workers: {local: N, devices: [gpu:0, gpu:1]}} opens the
 * problem N times in this JVM and evaluates N candidates at once, evaluator i on {@code devices[i mod
 * size]} (the experiment's {@code device} when none are listed); {@code workers: {cluster: {...}}} has
 * worker processes evaluate them instead (see {@link ClusterSettings}). Not part of what a run computes: the
 * same experiment gives the same evaluations whatever the workers, so resume may change them.
 *
 * @param local   the number of evaluators in this JVM (1: the plain loop)
 * @param devices the devices the evaluators take in turn; empty for the experiment's device
 * @param cluster the cluster of worker processes that evaluates instead, or null
 */
public record Workers(int local, List<String> devices, ClusterSettings cluster) {
    public static final Workers ONE = new Workers(1, List.of());

    public Workers {
        if (local < 1) {
            throw new EvomergeException("workers.local must be 1 or more, got " + local);
        }
        devices = List.copyOf(devices);
        devices.forEach(ComputeDevice::of);
        if (cluster != null && (local != 1 || !devices.isEmpty())) {
            throw new EvomergeException("workers: cluster and local/devices exclude each other (each worker takes its device with --device)");
        }
    }

    public Workers(int local, List<String> devices) {
        this(local, devices, null);
    }

    static Workers parse(JsonNode node) {
        if (!node.isObject()) {
            throw new EvomergeException("workers must be a mapping, e.g. {local: 2}");
        }
        ExperimentConfig.known(node, Set.of("local", "devices", "cluster"), "workers.");
        if (node.has("cluster")) {
            if (node.has("local") || node.has("devices")) {
                throw new EvomergeException("workers: cluster and local/devices exclude each other (each worker takes its device with --device)");
            }
            return new Workers(1, List.of(), ClusterSettings.parse(node.get("cluster")));
        }
        List<String> devices = new ArrayList<>();
        JsonNode d = node.path("devices");
        if (!d.isMissingNode()) {
            if (!d.isArray()) {
                throw new EvomergeException("workers.devices must be a list, e.g. [gpu:0, gpu:1]");
            }
            d.forEach(x -> devices.add(x.asText()));
        }
        int local = node.has("local") ? (int) ExperimentConfig.integral(node.get("local"), "workers.local") : Math.max(1, devices.size());
        return new Workers(local, devices);
    }

    /** The device evaluator {@code i} opens its problem on. */
    String device(int i, String fallback) {
        return devices.isEmpty() ? fallback : devices.get(i % devices.size());
    }
}
