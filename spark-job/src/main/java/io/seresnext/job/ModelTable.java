package io.seresnext.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.seresnext.model.ModelSpec;
import io.seresnext.model.ParameterCount;
import io.seresnext.model.Presets;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code models} command: every preset with its trainable parameter count, input shape and classes. */
final class ModelTable {

    private ModelTable() {
    }

    static void print(boolean json, PrintStream out) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String name : Presets.names()) {
            ModelSpec s = Presets.get(name);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put("params", ParameterCount.trainable(s));
            row.put("input", List.of(s.inputChannels(), s.inputHeight(), s.inputWidth()));
            row.put("classes", s.numClasses());
            row.put("cardinality", s.cardinality());
            row.put("se", s.squeezeExcitation());
            rows.add(row);
        }
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(rows));
            return;
        }
        out.printf("%-22s %14s  %-11s %7s  %3s  %s%n", "name", "params", "input", "classes", "C", "SE");
        for (Map<String, Object> r : rows) {
            @SuppressWarnings("unchecked")
            List<Integer> in = (List<Integer>) r.get("input");
            out.printf("%-22s %,14d  %-11s %7d  %3d  %s%n", r.get("name"), (Long) r.get("params"),
                    in.get(0) + "x" + in.get(1) + "x" + in.get(2), r.get("classes"), r.get("cardinality"),
                    (Boolean) r.get("se") ? "yes" : "no");
        }
    }
}
