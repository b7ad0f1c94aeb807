package io.seresnext.job.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.seresnext.job.Dl4jSystemProperties;
import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.v2.transport.impl.AeronUdpTransport;

/**
 * {@link TransportTimerSlack} on Linux: DL4J's real Aeron transport, started inside it, gets a message poller that
 * sleeps a millisecond at a time; threads that train take the JVM's slack back.
 */
class TransportTimerSlackTest {

    /** Linux's name (its first 15 bytes) of the transport pool's threads, the subscription poller among them. */
    private static final String POOL_THREAD = "MessagesExecuto";

    @BeforeEach
    void onLinux() {
        assumeTrue(TransportTimerSlack.current() > 0, "prctl(PR_GET_TIMERSLACK) is Linux's");
        Dl4jSystemProperties.applyDefaults(); // Aeron refuses to start without them
    }

    @Test
    @Timeout(120)
    void theTransportsPollerStartedInsideSleepsAMillisecondAndTheStarterKeepsItsOwnSlack() throws Exception {
        Map<Integer, Long> pool = onFreshThread(() -> {
            long before = TransportTimerSlack.current();
            Set<Integer> existing = threadsNamed(POOL_THREAD).keySet();
            AeronUdpTransport[] transport = new AeronUdpTransport[1];
            TransportTimerSlack.whileStarting(() -> transport[0] = startedTransport());
            try {
                assertEquals(before, TransportTimerSlack.current(), "the starting thread's own slack comes back");
                Map<Integer, Long> started = threadsNamed(POOL_THREAD);
                started.keySet().removeAll(existing);
                return started;
            } finally {
                transport[0].shutdown();
            }
        });
        assertFalse(pool.isEmpty(), "the transport started its message pool (the poller is one of its threads)");
        pool.forEach((tid, slack) -> assertEquals(TransportTimerSlack.TRANSPORT_SLACK_NANOS, slack,
                "timer slack of the transport's thread " + tid));
    }

    @Test
    @Timeout(60)
    void aTransportStartedWithoutItPollsAtLinuxsSlack() throws Exception {
        // the same check on a transport started the way DL4J does it: it must tell the two apart
        Map<Integer, Long> pool = onFreshThread(() -> {
            Set<Integer> existing = threadsNamed(POOL_THREAD).keySet();
            AeronUdpTransport transport = startedTransport();
            try {
                Map<Integer, Long> started = threadsNamed(POOL_THREAD);
                started.keySet().removeAll(existing);
                return started;
            } finally {
                transport.shutdown();
            }
        });
        assertFalse(pool.isEmpty());
        pool.forEach((tid, slack) -> assertEquals(TransportTimerSlack.JVM_SLACK_NANOS, slack,
                "timer slack of the transport's thread " + tid));
    }

    @Test
    void aThreadThatTrainsTakesTheJvmsSlackBackAtItsStep() throws Exception {
        long after = onFreshThread(() -> {
            TransportTimerSlack.set(TransportTimerSlack.TRANSPORT_SLACK_NANOS);
            new TransportTimerSlack.OnWorkers().iterationDone(null, 0, 0);
            return TransportTimerSlack.current();
        });
        assertEquals(TransportTimerSlack.JVM_SLACK_NANOS, after);
    }

    private static AeronUdpTransport startedTransport() {
        int port = freeUdpPort();
        VoidConfiguration configuration = VoidConfiguration.builder().unicastPort(port)
                .controllerAddress("127.0.0.1").build();
        AeronUdpTransport transport = new AeronUdpTransport("127.0.0.1", port, "127.0.0.1", port, configuration);
        transport.launchAsMaster();
        return transport;
    }

    private static int freeUdpPort() {
        try (DatagramSocket probe = new DatagramSocket(0)) {
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This JVM's threads whose Linux name starts with {@code name}, with their timer slack. */
    private static Map<Integer, Long> threadsNamed(String name) throws IOException {
        Map<Integer, Long> found = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.collect(Collectors.toList())) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().startsWith(name)) {
                        // a thread's own slack is readable under its id at /proc's top level, not under task/
                        String tid = task.getFileName().toString();
                        found.put(Integer.parseInt(tid), Long.parseLong(
                                Files.readString(Path.of("/proc", tid, "timerslack_ns")).strip()));
                    }
                } catch (NoSuchFileException ended) {
                    // the thread ended while we looked
                }
            }
        }
        return found;
    }

    /** Runs {@code body} on a new thread, so the test runner's thread keeps its slack whatever happens. */
    private static <T> T onFreshThread(Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(body);
        Thread thread = new Thread(task, "timer-slack-test");
        thread.start();
        try {
            return task.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
