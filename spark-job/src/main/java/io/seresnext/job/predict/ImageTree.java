package io.seresnext.job.predict;

import io.seresnext.job.data.DataException;
import io.seresnext.job.data.HadoopFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.datavec.spark.util.SerializableHadoopConfig;

/**
 * Every file under a folder tree, any depth, hidden names ({@code _x}, {@code .x}) skipped, as a DataFrame of
 * {@code path} (and {@code label}). The driver reads only the top level (keeping just its folder names); each
 * top-level folder, and the top level's own files, are listed by a Spark task, as {@code ImageFolderIndex} lists
 * class folders. The tree is labelled when its top level holds only folders and each is a class of the model:
 * then {@code label} is the top-level folder an image is in.
 */
final class ImageTree {

    static final String LABEL = "label";

    record Listing(String root, boolean labelled, Dataset<Row> files, long count) {
    }

    /** One listing task: a top-level folder (recursively), or the root's own files. */
    private record Task(String uri, boolean recursive, String label) implements Serializable {
    }

    private ImageTree() {
    }

    static Listing list(SparkSession spark, String input, List<String> classes) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String root = HadoopFiles.qualified(input, conf);
        FileSystem fs = HadoopFiles.fileSystem(root, conf);
        List<String> folders = new ArrayList<>();
        boolean rootHasFiles = false;
        try {
            if (!fs.getFileStatus(new Path(root)).isDirectory()) {
                throw new DataException("--input " + root + " is a file; it must be a folder of images");
            }
            RemoteIterator<FileStatus> top = fs.listStatusIterator(new Path(root));
            while (top.hasNext()) {
                FileStatus s = top.next();
                if (HadoopFiles.hidden(s.getPath().getName())) {
                    continue;
                }
                if (s.isDirectory()) {
                    folders.add(s.getPath().getName());
                } else {
                    rootHasFiles = true;
                }
            }
        } catch (FileNotFoundException e) {
            throw new DataException("--input " + root + " does not exist");
        } catch (IOException e) {
            throw new DataException("cannot list --input " + root + ": " + e.getMessage(), e);
        }
        boolean labelled = !rootHasFiles && !folders.isEmpty() && classes.containsAll(folders);
        List<Task> tasks = new ArrayList<>();
        for (String f : folders) {
            tasks.add(new Task(new Path(root, f).toString(), true, labelled ? f : null));
        }
        if (rootHasFiles) {
            tasks.add(new Task(root, false, null));
        }
        StructType schema = new StructType().add("path", DataTypes.StringType, false);
        if (labelled) {
            schema = schema.add(LABEL, DataTypes.StringType, false);
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableHadoopConfig hadoopConf = new SerializableHadoopConfig(conf);
        spark.sparkContext().setJobDescription("list image files under " + root);
        boolean withLabel = labelled;
        JavaRDD<Row> rows = sc.parallelize(tasks, Math.max(1, Math.min(tasks.size(), sc.defaultParallelism() * 4)))
                .flatMap(t -> files(t, hadoopConf, withLabel));
        Dataset<Row> files = spark.createDataFrame(rows, schema).persist();
        long count = files.count();
        if (count == 0) {
            files.unpersist();
            throw new DataException("--input " + root + " holds no files to score");
        }
        return new Listing(root, labelled, files, count);
    }

    /**
     * A walk with plain listings, not {@code listFiles}: on a local disk its located statuses load each file's
     * permissions by forking a process, which made listing cost more than scoring.
     */
    private static Iterator<Row> files(Task task, SerializableHadoopConfig conf, boolean withLabel)
            throws IOException {
        Path top = new Path(task.uri());
        FileSystem fs = top.getFileSystem(conf.getConfiguration());
        List<Row> rows = new ArrayList<>();
        Deque<Path> folders = new ArrayDeque<>(List.of(top));
        while (!folders.isEmpty()) {
            RemoteIterator<FileStatus> it = fs.listStatusIterator(folders.pop());
            while (it.hasNext()) {
                FileStatus f = it.next();
                if (HadoopFiles.hidden(f.getPath().getName())) {
                    continue;
                }
                if (f.isDirectory()) {
                    if (task.recursive()) {
                        folders.push(f.getPath());
                    }
                } else {
                    String path = f.getPath().toString();
                    rows.add(withLabel ? RowFactory.create(path, task.label()) : RowFactory.create(path));
                }
            }
        }
        return rows.iterator();
    }
}
