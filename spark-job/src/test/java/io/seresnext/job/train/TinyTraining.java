package io.seresnext.job.train;

import io.seresnext.model.Presets;
import io.seresnext.model.SeResNeXtGraph;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/** What the training-master tests fit: the tiny preset at 8 px with 3 classes, on saved batches of 4 images. */
final class TinyTraining {

    private TinyTraining() {
    }

    /** {@code count} random batches saved as {@code dir/batch-i.bin}; their URIs, in order. */
    static List<String> savedBatches(Path dir, int count) throws IOException {
        List<String> paths = new ArrayList<>();
        Nd4j.getRandom().setSeed(5);
        for (int i = 0; i < count; i++) {
            DataSet ds = new DataSet(Nd4j.rand(4, 3, 8, 8), Nd4j.eye(3).getRows(0, 1, 2, i % 3));
            File f = dir.resolve("batch-" + i + ".bin").toFile();
            ds.save(f);
            paths.add(f.toURI().toString());
        }
        return paths;
    }

    static ComputationGraph network() {
        ComputationGraph net = new ComputationGraph(SeResNeXtGraph.configuration(
                Presets.get("seresnext11_4x8d_tiny").withInput(3, 8, 8).withNumClasses(3),
                new NeuralNetConfiguration.Builder().seed(1).updater(new Sgd(0.01))));
        net.init();
        return net;
    }
}
