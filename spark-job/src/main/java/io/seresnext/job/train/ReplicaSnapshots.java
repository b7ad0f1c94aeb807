package io.seresnext.job.train;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradient sharing's diagnostics: each worker replica writes its parameters at the end of every epoch under
 * {@code <output>/_diagnostics/epoch-NNNN/}, so the driver can measure how far its model (which applies every
 * worker's encoded updates) is from the replicas that trained it. Off unless
 * {@code training-master.gradient-sharing.diagnostics} is set: it writes a model-sized file per replica and epoch.
 */
public final class ReplicaSnapshots extends BaseTrainingListener implements Serializable {

    static final String DIRECTORY = "_diagnostics";

    private final String output;
    private final SerializableHadoopConfig hadoop;

    public ReplicaSnapshots(String output, Configuration conf) {
        this.output = output;
        this.hadoop = new SerializableHadoopConfig(conf);
    }

    static Path epochDirectory(String output, int epoch) {
        return new Path(new Path(output, DIRECTORY), String.format("epoch-%04d", epoch));
    }

    @Override
    public void onEpochEnd(Model model) {
        int epoch = WorkerEpoch.current();
        String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
        Path file = new Path(epochDirectory(output, epoch), executor + "-" + System.identityHashCode(model) + ".bin");
        try {
            FileSystem fs = file.getFileSystem(hadoop.getConfiguration());
            try (DataOutputStream out = fs.create(file, true)) {
                Nd4j.write(model.params(), out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not write the replica snapshot " + file, e);
        }
    }

    /** |a - b| / |a| over the trainable parameters (batch-norm running statistics left out). */
    static double relativeDistance(ComputationGraph a, ComputationGraph b) {
        double diff = 0;
        double norm = 0;
        for (var e : a.paramTable().entrySet()) {
            String name = e.getKey().substring(e.getKey().lastIndexOf('_') + 1);
            if (name.equals("mean") || name.equals("var") || name.equals("log10stdev")) {
                continue;
            }
            double n = e.getValue().norm2Number().doubleValue();
            double d = e.getValue().distance2(b.getParam(e.getKey()));
            norm += n * n;
            diff += d * d;
        }
        return Math.sqrt(diff / norm);
    }

    /** The replicas' parameters written for that epoch. */
    static List<INDArray> read(String output, int epoch, Configuration conf) throws IOException {
        Path dir = epochDirectory(output, epoch);
        FileSystem fs = dir.getFileSystem(conf);
        List<INDArray> replicas = new ArrayList<>();
        if (!fs.exists(dir)) {
            return replicas;
        }
        for (FileStatus f : fs.listStatus(dir)) {
            try (DataInputStream in = fs.open(f.getPath())) {
                replicas.add(Nd4j.read(in));
            }
        }
        return replicas;
    }
}
