package io.seresnext.job.evaluate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.seresnext.job.data.HadoopFiles;
import io.seresnext.job.output.AtomicFiles;
import io.seresnext.job.output.OutputException;
import io.seresnext.job.report.HtmlReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * evaluation.json and its page evaluation.html in an output folder: refused when it exists unless replacing was
 * asked for, written atomically. The page has a name of its own so that it never replaces a training run's
 * report.html in the model's folder.
 */
public final class EvaluationFile {

    public static final String NAME = "evaluation.json";
    public static final String PAGE = "evaluation.html";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path path;
    private final FileSystem fs;

    public EvaluationFile(String folder, Configuration conf) {
        this.path = new Path(HadoopFiles.qualified(folder, conf), NAME);
        this.fs = HadoopFiles.fileSystem(path.toString(), conf);
    }

    public Path path() {
        return path;
    }

    /** Changes nothing: runs before any work, so that a refused run costs nothing. */
    public void checkUsable(boolean overwrite) throws IOException {
        if (!overwrite && fs.exists(path)) {
            throw new OutputException("output " + path + " already exists; pass --overwrite to replace it "
                    + "or choose another --output");
        }
    }

    public void write(EvaluationReport report) throws IOException {
        fs.mkdirs(path.getParent());
        AtomicFiles.write(fs, path, out -> JSON.writeValue(out, report));
    }

    /** evaluation.html beside evaluation.json; replaced with it. */
    public void writeReport(HtmlReport page) throws IOException {
        byte[] html = page.render().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(fs, new Path(path.getParent(), PAGE), out -> out.write(html));
    }
}
