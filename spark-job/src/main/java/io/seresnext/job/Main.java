package io.seresnext.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.job.bench.DataBenchmark;
import io.seresnext.job.bench.ModelBenchmark;
import io.seresnext.job.cli.Command;
import io.seresnext.job.cli.CommandLine;
import io.seresnext.job.config.InvalidConfigException;
import io.seresnext.job.data.DataException;
import io.seresnext.job.data.ShardManifest;
import io.seresnext.job.evaluate.EvaluateJob;
import io.seresnext.job.evaluate.EvaluationReport;
import io.seresnext.job.output.EpochMetrics;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.predict.PredictJob;
import io.seresnext.job.registry.PromotionRefusedException;
import io.seresnext.job.registry.RegistryCommand;
import io.seresnext.job.registry.RegistryException;
import io.seresnext.job.train.ExecutorLostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * Entry point of the jar: what {@code submit/local.sh} runs, and the main class spark-submit runs on a cluster.
 * Exit status: 0 done, 2 a bad command line or configuration, 1 bad data, output or a failure while running, 3 a
 * model trained and registered but kept from becoming current by the quality gate.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        Outcome outcome = outcome(args);
        if (runsInYarnApplicationMaster()) {
            // YARN's application master counts any System.exit, even exit(0), as a failure ("Shutdown hook called
            // before final status was reported"): there main returns to succeed and throws to fail, which also
            // puts the error into the application's diagnostics, where spark-submit and the YARN UI show it.
            if (outcome.status() != 0) {
                throw new IllegalStateException("seresnext job failed (status " + outcome.status() + "): "
                        + outcome.error());
            }
            return;
        }
        System.exit(outcome.status());
    }

    /** The driver of a YARN cluster-mode application: Spark's ApplicationMaster sets these before calling main. */
    static boolean runsInYarnApplicationMaster() {
        return System.getProperty("spark.yarn.app.id") != null
                && "cluster".equals(System.getProperty("spark.submit.deployMode"));
    }

    /** How a run ended: its exit status, and the error printed (empty when it succeeded). */
    record Outcome(int status, String error) {
    }

    static int run(String[] args) {
        return outcome(args).status();
    }

    private static Outcome outcome(String[] args) {
        Optional<Command> command;
        try {
            command = CommandLine.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            return failed(2, e.getMessage());
        }
        if (command.isEmpty()) {
            return Arrays.asList(args).contains("--help") ? new Outcome(0, "") : new Outcome(2, "bad command line");
        }
        try {
            execute(command.get());
            return new Outcome(0, "");
        } catch (PromotionRefusedException e) {
            return failed(3, e.getMessage());
        } catch (InvalidConfigException e) {
            return failed(2, e.getMessage());
        } catch (DataException | OutputException | ExecutorLostException | RegistryException e) {
            return failed(1, e.getMessage());
        } catch (Exception e) {
            Outcome failure = failed(1, e.toString());
            e.printStackTrace();
            return failure;
        }
    }

    private static Outcome failed(int status, String error) {
        System.err.println("Error: " + error);
        return new Outcome(status, error);
    }

    private static void execute(Command command) throws Exception {
        if (command instanceof Command.ListModels list) {
            ModelTable.print(list.json(), System.out);
        } else if (command instanceof Command.BenchModel bench) {
            System.out.println(new ObjectMapper().writeValueAsString(ModelBenchmark.run(bench)));
        } else if (command instanceof Command.BenchData bench) {
            System.out.println(new ObjectMapper().writeValueAsString(DataBenchmark.run(bench)));
        } else if (command instanceof Command.Registry registry) {
            RegistryCommand.run(registry.registry(), registry.action(), registry.version(),
                    new org.apache.hadoop.conf.Configuration(), System.out);
        } else if (command instanceof Command.Prepare prepare) {
            try (SparkSession spark = SparkSessions.start(prepare.config(), "prepare")) {
                ShardManifest m = TrainJob.prepare(spark, prepare.config());
                System.out.printf(Locale.ROOT, "Shard cache %s: %d classes, %d training and %d validation images, "
                                + "%d files skipped%n", m.directory(), m.classes().size(), m.count("train"),
                        m.count("val"), m.skippedFiles());
            }
        } else if (command instanceof Command.Evaluate evaluate) {
            try (SparkSession spark = SparkSessions.start(evaluate.config(), "evaluate")) {
                EvaluateJob.Result result = EvaluateJob.run(spark, evaluate.model(), evaluate.config());
                EvaluationReport r = result.report();
                System.out.printf(Locale.ROOT, "Evaluated %s on %d images of %s: top-1 %.2f%%, top-5 %.2f%%, loss "
                                + "%.4f (%d of the model's %d classes present). Written: %s%n", r.model().uri(),
                        r.images(), r.input(), 100 * r.top1(), 100 * r.top5(), r.loss(),
                        r.classes().stream().filter(c -> c.support() > 0).count(), r.classes().size(), result.file());
            }
        } else if (command instanceof Command.Predict predict) {
            try (SparkSession spark = SparkSessions.start(predict.config(), "predict")) {
                PredictJob.Result r = PredictJob.run(spark, predict.model(), predict.topK(), predict.config());
                System.out.printf(Locale.ROOT, "Scored %d images (%d unreadable, in the error column)%s with model "
                        + "%s. Written: %s%n", r.images(), r.errors(), r.labelled() ? ", labelled" : "", r.model(),
                        r.output());
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
                if (result.promotion() != null) {
                    System.out.println("Quality gate: " + result.promotion().explain());
                    if (!result.promotion().promoted()) {
                        throw new PromotionRefusedException("trained and registered as " + result.registered().path()
                                + ", not promoted: " + result.promotion().explain());
                    }
                }
            }
        }
    }
}
