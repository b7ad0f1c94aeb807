package io.seresnext.job.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import org.apache.spark.SparkEnv;
import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;

/**
 * Works around a dl4j-spark-parameterserver 1.0.0-M2 bug: the UDP port of {@code VoidConfiguration.unicastPort}
 * (a StaticPortSupplier) is not only the driver's (the Aeron controller's) port but also the one every executor's
 * node binds, so executors that share a machine (YARN and standalone place several on one) all bind the driver's
 * port. They then train but exchange nothing: each is a node on the same address, and no update crosses between
 * them. Here the driver keeps the configured port and each executor JVM takes a free UDP port of its own, once
 * (DL4J asks several times and must get the same answer). Tested in StandaloneClusterIT, whose two executors share
 * loopback: without this supplier neither receives a single update from the other.
 */
public final class AeronPortSupplier implements PortSupplier {

    private static final long serialVersionUID = 1L;

    /** This executor JVM's port, chosen on first use. */
    private static volatile int executorPort;

    private final int driverPort;

    public AeronPortSupplier(int driverPort) {
        this.driverPort = driverPort;
    }

    @Override
    public int getPort() {
        return runsOnDriver() ? driverPort : executorPort();
    }

    private static boolean runsOnDriver() {
        SparkEnv env = SparkEnv.get();
        return env == null || "driver".equals(env.executorId());
    }

    private static synchronized int executorPort() {
        if (executorPort == 0) {
            try (DatagramSocket probe = new DatagramSocket(0)) {
                executorPort = probe.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException("no free UDP port for gradient sharing on this executor", e);
            }
        }
        return executorPort;
    }
}
