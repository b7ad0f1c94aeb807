package io.seresnext.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.seresnext.job.config.JobConfig;
import io.seresnext.job.testing.TestJobs;
import io.seresnext.job.train.LearningRateSchedule;
import io.seresnext.job.train.NetworkFactory;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

/**
 * What crosses to executors through Spark's Kryo, configured as the job configures it. Local mode never
 * serialises broadcasts, so only this (and the cluster tests) can see a value that Kryo cannot rebuild.
 */
class SparkKryoTest {

    private static <T> T roundTrip(T value) {
        SparkConf conf = new SparkConf().set("spark.kryo.registrator", JobKryoRegistrator.class.getName());
        SerializerInstance kryo = new KryoSerializer(conf).newInstance();
        ByteBuffer bytes = kryo.serialize(value, ClassTag$.MODULE$.apply(Object.class));
        return kryo.deserialize(bytes, ClassTag$.MODULE$.apply(Object.class));
    }

    @Test
    void theBroadcastNetworkWithTheJobsScheduleSurvivesKryo() {
        JobConfig config = TestJobs.config(TestJobs.small("file:///in", "file:///out"));
        ComputationGraph net = NetworkFactory.fresh(config, 3, LearningRateSchedule.of(config.train(), 10, 16));
        NetBroadcastTuple tuple = new NetBroadcastTuple(net.getConfiguration(), net.params(),
                net.getUpdater().getStateViewArray());
        NetBroadcastTuple back = roundTrip(tuple);
        assertEquals(net.getConfiguration(), back.getGraphConfiguration());
        assertEquals(net.params(), back.getParameters());
    }

    private record Sample(String name, int count, List<String> notes) {
    }

    @Test
    void recordsSurviveKryo() {
        Sample s = new Sample("a", 3, new java.util.ArrayList<>(List.of("x", "y")));
        assertEquals(s, roundTrip(s));
    }
}
