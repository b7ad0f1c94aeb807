package io.seresnext.job;

import io.seresnext.job.bench.ModelBenchmark;
import io.seresnext.job.cli.Command;
import io.seresnext.job.cli.CommandLine;
import java.util.Arrays;
import java.util.Optional;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** Entry point of the jar (what {@code submit/local.sh} runs, and what spark-submit will run). */
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
            if (command.get() instanceof Command.ListModels list) {
                ModelTable.print(list.json(), System.out);
            } else if (command.get() instanceof Command.BenchModel bench) {
                System.out.println(new ObjectMapper().writeValueAsString(ModelBenchmark.run(bench)));
            }
            return 0;
        } catch (Exception e) {
            System.err.println("Error: " + e);
            e.printStackTrace();
            return 1;
        }
    }
}
