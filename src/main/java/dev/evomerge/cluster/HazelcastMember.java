package dev.evomerge.cluster;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.ManagedContext;
import dev.evomerge.EvomergeException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

/**
 * Starts the Hazelcast member a driver or a worker runs in, configured the one way evomerge uses it: TCP/IP
 * join through explicit addresses only (multicast and auto-detection off), bound to one interface and one port
 * (no fallback to the next port), no phone-home, and Java serialization refused but for an allow-list; the only
 * task is {@link WorkerCall}, written by its own serializer.
 */
final class HazelcastMember {
    /** The member attribute that says what a member is: {@link #DRIVER} or {@link #WORKER}. */
    static final String ROLE = "evomerge.role";
    static final String DRIVER = "driver";
    static final String WORKER = "worker";
    /** Candidates run on this executor: one at a time per worker, since a worker holds one problem. */
    static final String EVALUATE = "evomerge-evaluate";
    /** Greetings have their own executor, so a worker busy with a long candidate still answers them at once. */
    static final String HELLO = "evomerge-hello";

    static {
        // read when Hazelcast's first class loads, before any Config: without it, its first warnings go to java.util.logging
        if (System.getProperty("hazelcast.logging.type") == null) {
            System.setProperty("hazelcast.logging.type", "slf4j");
        }
    }

    private HazelcastMember() {
    }

    /**
     * @param context on a worker, what turns a received {@link WorkerCall} into a call into it; null on a driver
     */
    static HazelcastInstance start(String role, String networkInterface, int port, List<MemberAddress> join, ManagedContext context) {
        checkBindable(networkInterface, port);
        Config config = new Config();
        config.setClusterName("evomerge");
        config.setInstanceName("evomerge-" + role + "-" + networkInterface + "-" + port);
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false"); // the worker command closes its member itself
        config.setProperty("hazelcast.socket.bind.any", "false");      // listen on the given interface only (and on loopback at all)
        config.setProperty("hazelcast.prefer.ipv4.stack", "true");
        // members that started apart (workers before their driver) find each other in seconds, not Hazelcast's default 5 minutes
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "3");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "3");
        config.setProperty("hazelcast.wait.seconds.before.join", "1");
        // a worker whose machine vanished (no TCP reset) is given up after this; a killed process is seen at once
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "30");
        config.getJetConfig().setEnabled(false);
        // the driver is a full member although nothing is stored: as a lite member it saw its only worker (the master)
        // SIGKILLed after 6.4 s; as a full member after 0.1-0.2 s (loopback)
        config.getMemberAttributeConfig().setAttribute(ROLE, role);

        NetworkConfig network = config.getNetworkConfig();
        // reuse: a driver stopped and resumed at once takes its port back, though the old socket lingers in TIME_WAIT
        network.setPort(port).setPortAutoIncrement(false).setReuseAddress(true);
        network.getInterfaces().setEnabled(true).setInterfaces(List.of(networkInterface));
        JoinConfig joinConfig = network.getJoin();
        joinConfig.getMulticastConfig().setEnabled(false);
        joinConfig.getAutoDetectionConfig().setEnabled(false);
        joinConfig.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2)
                .setMembers(join.stream().map(MemberAddress::toString).toList());

        config.getSerializationConfig().addSerializerConfig(new SerializerConfig().setTypeClass(WorkerCall.class)
                .setImplementation(new WorkerCall.Serializer()));
        // Nothing of ours travels by Java serialization, but Hazelcast sends its own exceptions that way (a join-time
        // RetryableHazelcastException, a worker's RejectedExecutionException): refused, their answers were dropped
        // and a call hung. So: ours, java.lang, Hazelcast's, and what a Throwable is written with; nothing else.
        config.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig().setDefaultsDisabled(true)
                .setWhitelist(new ClassFilter().addPrefixes("dev.evomerge.cluster.", "java.lang.", "com.hazelcast.", "java.util.concurrent.")
                        .addClasses("java.util.Collections$EmptyList", "java.util.Collections$UnmodifiableRandomAccessList",
                                "java.util.Collections$UnmodifiableList", "java.util.ArrayList")));

        config.getExecutorConfig(EVALUATE).setPoolSize(1).setStatisticsEnabled(false);
        config.getExecutorConfig(HELLO).setPoolSize(2).setStatisticsEnabled(false);
        if (context != null) {
            config.setManagedContext(context);
        }
        try {
            return Hazelcast.newHazelcastInstance(config);
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
            throw new EvomergeException("cannot start a cluster member on " + networkInterface + ":" + port + " (" + why
                    + "): is the port taken, or the address not one of this machine's?", e);
        }
    }

    /** Says in one line what Hazelcast would say in a stack trace: the port is taken, or the address is not this machine's. */
    private static void checkBindable(String networkInterface, int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as the member will: a port in TIME_WAIT is free for it
            probe.bind(new InetSocketAddress(InetAddress.getByName(networkInterface), port));
        } catch (BindException e) {
            throw new EvomergeException(networkInterface + ":" + port + ": " + e.getMessage().toLowerCase(java.util.Locale.ROOT)
                    + " (another worker or driver there? choose another port; is " + networkInterface + " one of this machine's addresses?)", e);
        } catch (IOException e) {
            throw new EvomergeException(networkInterface + ":" + port + ": cannot listen there: " + e.getMessage(), e);
        }
    }
}
