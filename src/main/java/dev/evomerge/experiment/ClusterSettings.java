package dev.evomerge.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.EvomergeException;
import dev.evomerge.cluster.MemberAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code workers: {cluster: {members: [10.0.0.5:5701, 10.0.0.6:5701], interface: 10.0.0.4, port: 5701,
 * secret_env: EVOMERGE_SECRET}}}: the candidates are evaluated by worker processes ({@code ./run.sh worker})
 * that are members of one Hazelcast cluster with this driver. The driver joins by TCP/IP through the listed
 * members only (no multicast, no discovery), listens on {@code interface:port}, and signs what it sends with
 * the secret held in the environment variable {@code secret_env} (never in a file or on a command line).
 *
 * @param members          the workers' addresses (others that join through them are found too)
 * @param networkInterface the IPv4 address this driver binds to; loopback by default
 * @param port             the port it listens on (no fallback to another port)
 * @param secretEnv        the environment variable that holds the shared secret
 */
public record ClusterSettings(List<MemberAddress> members, String networkInterface, int port, String secretEnv) {
    public static final String DEFAULT_INTERFACE = "127.0.0.1";
    public static final int DEFAULT_PORT = 5701;
    public static final String DEFAULT_SECRET_ENV = "EVOMERGE_SECRET";
    private static final List<String> KEYS = List.of("members", "interface", "port", "secret_env");

    public ClusterSettings {
        members = List.copyOf(members);
        MemberAddress.checkInterface(networkInterface, "workers.cluster.interface");
        MemberAddress.checkPort(port, "workers.cluster.port");
        if (secretEnv == null || !secretEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new EvomergeException("workers.cluster.secret_env: '" + secretEnv + "' is not the name of an environment variable");
        }
    }

    static ClusterSettings parse(JsonNode node) {
        if (!node.isObject()) {
            throw new EvomergeException("workers.cluster must be a mapping, e.g. {members: [127.0.0.1:5702], port: 5701}");
        }
        if (node.has("secret")) {
            throw new EvomergeException("workers.cluster.secret: the secret never goes in a file; set it in the environment variable that "
                    + "secret_env names (default " + DEFAULT_SECRET_ENV + ") where the driver and each worker start");
        }
        ExperimentConfig.known(node, Set.copyOf(KEYS), "workers.cluster.");
        List<MemberAddress> members = new ArrayList<>();
        JsonNode m = node.path("members");
        if (!m.isMissingNode()) {
            if (!m.isArray()) {
                throw new EvomergeException("workers.cluster.members must be a list, e.g. [\"10.0.0.5:5701\", \"10.0.0.6:5701\"]");
            }
            for (int i = 0; i < m.size(); i++) {
                members.add(MemberAddress.parse(m.get(i).asText(), "workers.cluster.members[" + i + "]"));
            }
        }
        int port = node.has("port") ? (int) ExperimentConfig.integral(node.get("port"), "workers.cluster.port") : DEFAULT_PORT;
        return new ClusterSettings(members, node.path("interface").asText(DEFAULT_INTERFACE), port,
                node.path("secret_env").asText(DEFAULT_SECRET_ENV));
    }

    JsonNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        var list = node.putArray("members");
        members.forEach(a -> list.add(a.toString()));
        node.put("interface", networkInterface);
        node.put("port", port);
        node.put("secret_env", secretEnv);
        return node;
    }
}
