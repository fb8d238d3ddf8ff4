package dev.evomerge.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.evomerge.EvomergeException;
import dev.evomerge.cluster.MemberAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSettingsTest {
    private static final String BASE = """
            name: z
            problem: {benchmark: zdt1, dimension: 3}
            strategy: {name: random, population: 4}
            budget: {generations: 1}
            """;

    private static ExperimentConfig parse(String workers) {
        return ExperimentConfig.parse(BASE + "workers: " + workers + "\n", "x");
    }

    private static String error(String workers) {
        return assertThrows(EvomergeException.class, () -> parse(workers)).getMessage();
    }

    @Test
    void clusterWorkersAreReadWithDefaultsAndWrittenBackIntoConfigYaml() {
        ExperimentConfig config = parse("{cluster: {members: [\"10.0.0.5:5701\", \"10.0.0.6:5702\"]}}");
        ClusterSettings cluster = config.workers().cluster();
        assertEquals(List.of(new MemberAddress("10.0.0.5", 5701), new MemberAddress("10.0.0.6", 5702)), cluster.members());
        assertEquals("127.0.0.1", cluster.networkInterface());
        assertEquals(5701, cluster.port());
        assertEquals("EVOMERGE_SECRET", cluster.secretEnv());
        // resume rewrites config.yaml with the workers it is given: the cluster survives the round trip
        ExperimentConfig again = ExperimentConfig.parse(ExperimentConfig.parse(BASE, "x").withWorkers(config.workers()).toYaml(), "y");
        assertEquals(config.workers(), again.workers());
        assertEquals(null, parse("{local: 2}").workers().cluster(), "local pools stay as they were");
    }

    @Test
    void badClusterSettingsAreOneLineErrorsThatNameTheKey() {
        assertEquals("x: workers.cluster.members[1]: '10.0.0.6' is not HOST:PORT (e.g. 127.0.0.1:5701)",
                error("{cluster: {members: [\"10.0.0.5:5701\", 10.0.0.6]}}"));
        assertEquals("x: workers.cluster.interface: 'localhost' is not an IPv4 address (e.g. 127.0.0.1 or 10.0.0.5)",
                error("{cluster: {interface: localhost}}"));
        assertEquals("x: workers.cluster.port: port 70000 is not between 1 and 65535", error("{cluster: {port: 70000}}"));
        assertEquals("x: workers.cluster.interface: 0.0.0.0 would listen on every interface; give the one address the other members reach "
                + "this one at", error("{cluster: {interface: 0.0.0.0}}"));
        assertEquals("x: workers.cluster.secret: the secret never goes in a file; set it in the environment variable that secret_env "
                + "names (default EVOMERGE_SECRET) where the driver and each worker start", error("{cluster: {secret: hunter2}}"));
        assertEquals("x: workers.cluster.memebrs: unknown key (did you mean 'members'?)", error("{cluster: {memebrs: []}}"));
        assertEquals("x: workers: cluster and local/devices exclude each other (each worker takes its device with --device)",
                error("{local: 2, cluster: {}}"));
    }
}
