package io.seresnext.job;

import io.seresnext.job.bench.DataBenchmark;
import io.seresnext.job.bench.ModelBenchmark;
import io.seresnext.job.cli.Command;
import io.seresnext.job.cli.CommandLine;
import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.data.DataException;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.OutputException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Entry point of the jar: what {@code submit/local.sh} runs, and the main class spark-submit runs on a cluster.
 * Exit status: 0 done, 2 a bad command line or configuration, 1 bad data, output or a failure while running.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        Optional<Command> command;
        try {
            command = CommandLine.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println("Error: " + e.getMessage());
            return 2;
        }
        if (command.isEmpty()) {
            return Arrays.asList(args).contains("--help") ? 0 : 2;
        }
        try {
            execute(command.get());
            return 0;
        } catch (InvalidConfigException e) {
            System.err.println("Error: " + e.getMessage());
            return 2;
        } catch (DataException | OutputException e) {
            System.err.println("Error: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            System.err.println("Error: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    private static void execute(Command command) throws Exception {
        if (command instanceof Command.ListModels list) {
            ModelTable.print(list.json(), System.out);
        } else if (command instanceof Command.BenchModel bench) {
            System.out.println(new ObjectMapper().writeValueAsString(ModelBenchmark.run(bench)));
        } else if (command instanceof Command.BenchData bench) {
            System.out.println(new ObjectMapper().writeValueAsString(DataBenchmark.run(bench)));
        } else if (command instanceof Command.Prepare prepare) {
            try (SparkSession spark = SparkSessions.start(prepare.config(), "prepare")) {
                ShardManifest m = TrainJob.prepare(spark, prepare.config());
                System.out.printf(Locale.ROOT, "Shard cache %s: %d classes, %d training and %d validation images, "
                                + "%d files skipped%n", m.directory(), m.classes().size(), m.count("train"),
                        m.count("val"), m.skippedFiles());
            }
        } else if (command instanceof Command.Train train) {
            try (SparkSession spark = SparkSessions.start(train.config(), "train")) {
                TrainJob.Result result = TrainJob.run(spark, train.config());
                List<EpochMetrics> metrics = result.state().metrics();
                EpochMetrics last = metrics.get(metrics.size() - 1);
                System.out.printf(Locale.ROOT, "Final validation accuracy after epoch %d: top-1 %.2f%%, top-5 "
                                + "%.2f%%, loss %.4f (%d images, chance %.2f%%). Model: %s/model.zip%n",
                        last.epoch(), 100 * last.top1(), 100 * last.top5(), last.valLoss(), last.valImages(),
                        100.0 / result.state().classes().size(), result.output());
            }
        }
    }
}
