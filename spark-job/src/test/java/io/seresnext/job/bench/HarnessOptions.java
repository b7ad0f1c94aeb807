package io.seresnext.job.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command-line options of the benchmark harnesses: {@code --name value} pairs over defaults, and
 * {@code --set}s.
 */
record HarnessOptions(Map<String, String> values, List<String> sets) {

    /** @throws IllegalArgumentException for an option without a value or one {@code defaults} does not name */
    static HarnessOptions parse(String[] args, Map<String, String> defaults) {
        Map<String, String> values = new LinkedHashMap<>(defaults);
        List<String> sets = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            if (args[i].equals("--set")) {
                sets.add(args[i + 1]);
            } else if (values.containsKey(args[i])) {
                values.put(args[i], args[i + 1]);
            } else {
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + values.keySet()
                        + ", --set KEY=VALUE");
            }
        }
        return new HarnessOptions(values, sets);
    }

    /** The comma-separated runs of {@code option}, each one of {@code known}. */
    List<String> runs(String option, List<String> known) {
        List<String> runs = List.of(values.get(option).split(","));
        for (String r : runs) {
            if (!known.contains(r)) {
                throw new IllegalArgumentException("unknown run " + r + "; known: " + known);
            }
        }
        return runs;
    }
}
