package io.seresnext.job.train;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;
import org.nd4j.parameterserver.distributed.v2.messages.INDArrayMessage;
import org.nd4j.parameterserver.distributed.v2.messages.impl.GradientsUpdateMessage;
import org.nd4j.parameterserver.distributed.v2.transport.Transport;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gradient sharing's traffic as one executor sees it: every encoded update that reaches this JVM from another node
 * (the driver relays each executor's updates to all the others), counted by the node that sent it, with its payload
 * bytes, and how late each arrives: the iteration DL4J stamps on the message against the last iteration this
 * executor's workers finished when it arrived. Logged on the executor when it first hears from a node and at each new
 * epoch, so the logs show that updates cross between executor JVMs, how many bytes a worker sends per iteration and
 * how stale the other executor's updates are when they arrive. DL4J counts none of this on executors.
 */
public final class GradientTrafficListener extends BaseTrainingListener implements Serializable {

    private static final Logger log = LoggerFactory.getLogger(GradientTrafficListener.class);

    /** per JVM: the transport's subscribers live as long as the executor's parameter server */
    private static final AtomicBoolean SUBSCRIBED = new AtomicBoolean();
    private static final Map<String, Traffic> RECEIVED = new ConcurrentHashMap<>();
    private static final AtomicInteger LOGGED_EPOCH = new AtomicInteger();
    /** the highest iteration a worker of this executor has finished; its workers share the schedule's counts */
    private static final AtomicInteger LAST_ITERATION = new AtomicInteger(-1);

    /** Updates and payload bytes received from one node, and how late they arrived. */
    private static final class Traffic {
        final LongAdder updates = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final IterationLag lag = new IterationLag();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!SUBSCRIBED.get()) {
            subscribe();
        }
        LAST_ITERATION.accumulateAndGet(iteration, Math::max);
        int current = WorkerEpoch.current();
        int logged = LOGGED_EPOCH.get();
        if (current != logged && LOGGED_EPOCH.compareAndSet(logged, current) && !RECEIVED.isEmpty()) {
            log.info("gradient sharing, before epoch {} on this executor: {}", current, summary());
        }
    }

    /** Subscribes once the parameter server's transport exists (it does by the first step of a fit). */
    private static void subscribe() {
        Transport transport = ModelParameterServer.getInstance().getTransport();
        if (transport == null || !SUBSCRIBED.compareAndSet(false, true)) {
            return;
        }
        String self = transport.id();
        log.info("gradient sharing: this executor is node {}", self);
        transport.incomingPublisher().subscribe(new Subscriber<INDArrayMessage>() {
            @Override
            public void onSubscribe(Subscription s) {
            }

            @Override
            public void onNext(INDArrayMessage message) {
                // runs on a transport thread: count and return
                if (message instanceof GradientsUpdateMessage update && !self.equals(update.getOriginatorId())) {
                    Traffic t = RECEIVED.computeIfAbsent(update.getOriginatorId(), id -> {
                        log.info("gradient sharing: first update received from node {} (iteration {})", id,
                                update.getIteration());
                        return new Traffic();
                    });
                    t.updates.increment();
                    INDArray payload = update.getPayload();
                    t.bytes.add(payload == null ? 0 : payload.length() * payload.dataType().width());
                    t.lag.record(LAST_ITERATION.get() - update.getIteration());
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
    }

    /** "N updates (B payload bytes) from node X (since the last line: lags); ...": counts since the start. */
    static String summary() {
        StringBuilder s = new StringBuilder("received ");
        RECEIVED.forEach((node, t) -> s.append(String.format(Locale.ROOT, "%d updates (%d payload bytes) from node "
                + "%s (since the last line: %s); ", t.updates.sum(), t.bytes.sum(), node, t.lag.summaryAndReset())));
        return s.substring(0, s.length() - 2);
    }
}
