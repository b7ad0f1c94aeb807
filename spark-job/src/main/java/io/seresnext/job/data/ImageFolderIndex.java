package io.seresnext.job.data;

import io.seresnext.job.config.JobConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
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
 * The file index of an image folder in ImageNet layout: class names are the sorted folder names (the driver lists
 * only those directories); the files inside them are listed on the executors. The index is a DataFrame of
 * (path, relative_path, label, size, modified, split), checked before anything is decoded.
 */
public final class ImageFolderIndex {

    public static final String TRAIN = "train";
    public static final String VAL = "val";

    public static final StructType SCHEMA = new StructType()
            .add("path", DataTypes.StringType, false)
            .add("relative_path", DataTypes.StringType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("size", DataTypes.LongType, false)
            .add("modified", DataTypes.LongType, false)
            .add("split", DataTypes.StringType, false);

    /** The classes and the files of one dataset. */
    public record Listing(String root, List<String> classes, Dataset<Row> files, long trainFiles, long valFiles) {
    }

    private record ClassDir(String split, int label, String uri, String relativeTo) implements Serializable {
    }

    private ImageFolderIndex() {
    }

    public static Listing list(SparkSession spark, String input, JobConfig.Data options) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String root = HadoopFiles.qualified(input, conf);
        FileSystem fs = HadoopFiles.fileSystem(root, conf);
        FileStatus status = status(fs, new Path(root), "input");
        if (!status.isDirectory()) {
            throw new DataException("input " + root + " is a file; it must be a folder with one folder per class");
        }
        boolean trainVal = switch (options.layout()) {
            case TRAIN_VAL -> true;
            case SINGLE -> false;
            case AUTO -> isDirectory(fs, new Path(root, TRAIN)) && isDirectory(fs, new Path(root, VAL));
        };
        List<ClassDir> dirs = new ArrayList<>();
        List<String> classes;
        if (trainVal) {
            Path trainDir = new Path(root, TRAIN);
            Path valDir = new Path(root, VAL);
            status(fs, trainDir, "data.layout train-val: training folder");
            status(fs, valDir, "data.layout train-val: validation folder");
            classes = classFolders(fs, trainDir);
            List<String> valClasses = classFolders(fs, valDir);
            for (String v : valClasses) {
                if (!classes.contains(v)) {
                    throw new DataException("validation class folder " + new Path(valDir, v)
                            + " has no training folder in " + trainDir);
                }
            }
            for (int i = 0; i < classes.size(); i++) {
                dirs.add(new ClassDir(TRAIN, i, new Path(trainDir, classes.get(i)).toString(), trainDir.toString()));
            }
            for (String v : valClasses) {
                dirs.add(new ClassDir(VAL, classes.indexOf(v), new Path(valDir, v).toString(), valDir.toString()));
            }
        } else {
            classes = classFolders(fs, new Path(root));
            for (int i = 0; i < classes.size(); i++) {
                dirs.add(new ClassDir(null, i, new Path(root, classes.get(i)).toString(), root));
            }
        }
        if (classes.size() < 2) {
            throw new DataException("input " + root + " has " + (classes.isEmpty() ? "no class folders"
                    : "only one class folder (" + classes.get(0) + ")") + "; a classifier needs at least two");
        }

        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableHadoopConfig hadoopConf = new SerializableHadoopConfig(conf);
        double valFraction = options.validationFraction();
        long seed = options.splitSeed();
        JavaRDD<Row> rows = sc.parallelize(dirs, Math.max(1, Math.min(dirs.size(), sc.defaultParallelism() * 4)))
                .flatMap(d -> listFiles(d, hadoopConf, valFraction, seed));
        Dataset<Row> files = spark.createDataFrame(rows, SCHEMA).persist();
        spark.sparkContext().setJobDescription("list image files under " + root);

        Map<String, long[]> perClass = new HashMap<>();
        for (Row r : files.groupBy("split", "label").count().collectAsList()) {
            perClass.computeIfAbsent(r.getString(0), k -> new long[classes.size()])[r.getInt(1)] = r.getLong(2);
        }
        long[] noneFound = new long[classes.size()];
        long[] train = perClass.getOrDefault(TRAIN, noneFound);
        long[] all = trainVal ? train : sum(train, perClass.getOrDefault(VAL, noneFound));
        for (int i = 0; i < classes.size(); i++) {
            if (all[i] == 0) {
                throw new DataException("class folder " + dirs.get(i).uri() + " has no image files");
            }
        }
        long trainCount = Arrays.stream(train).sum();
        long valCount = Arrays.stream(perClass.getOrDefault(VAL, noneFound)).sum();
        if (valCount == 0) {
            throw new DataException("input " + root + " gives no validation images"
                    + (trainVal ? " (its val/ folders are empty)" : "; raise data.validation-fraction"));
        }
        return new Listing(root, List.copyOf(classes), files, trainCount, valCount);
    }

    /**
     * A labelled folder to score: its {@code val/} when it has one, else the folder itself. Every file lands in the
     * validation split, labelled by its class folder's position in {@code known} (by name, so the folder may hold
     * any subset of those classes).
     *
     * @throws DataException naming the class folders that are not in {@code known}
     */
    public static Listing labelled(SparkSession spark, String input, List<String> known) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        String given = HadoopFiles.qualified(input, conf);
        FileSystem fs = HadoopFiles.fileSystem(given, conf);
        if (!status(fs, new Path(given), "input").isDirectory()) {
            throw new DataException("input " + given + " is a file; it must be a folder with one folder per class");
        }
        Path root = isDirectory(fs, new Path(given, VAL)) ? new Path(given, VAL) : new Path(given);
        List<String> folders = classFolders(fs, root);
        List<String> unknown = folders.stream().filter(f -> !known.contains(f)).toList();
        if (!unknown.isEmpty()) {
            throw new DataException("--input: class folder(s) " + unknown + " under " + root
                    + " are not classes of the model, which knows " + known);
        }
        List<ClassDir> dirs = folders.stream().map(f -> new ClassDir(VAL, known.indexOf(f),
                new Path(root, f).toString(), root.toString())).toList();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SerializableHadoopConfig hadoopConf = new SerializableHadoopConfig(conf);
        spark.sparkContext().setJobDescription("list image files under " + root);
        JavaRDD<Row> rows = sc.parallelize(dirs, Math.max(1, Math.min(dirs.size(), sc.defaultParallelism() * 4)))
                .flatMap(d -> listFiles(d, hadoopConf, 0, 0));
        Dataset<Row> files = spark.createDataFrame(rows, SCHEMA).persist();
        long count = files.count();
        if (count == 0) {
            throw new DataException("input " + root + " has no image files in class folders");
        }
        return new Listing(root.toString(), List.copyOf(known), files, 0, count);
    }

    private static long[] sum(long[] a, long[] b) {
        long[] s = a.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b[i];
        }
        return s;
    }

    private static Iterator<Row> listFiles(ClassDir dir, SerializableHadoopConfig conf, double valFraction, long seed)
            throws IOException {
        Path classPath = new Path(dir.uri());
        FileSystem fs = classPath.getFileSystem(conf.getConfiguration());
        String base = new Path(dir.relativeTo()).toUri().getPath();
        List<Row> rows = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(classPath, true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            String relative = f.getPath().toUri().getPath().substring(base.length() + 1);
            if (Arrays.stream(relative.split("/")).anyMatch(HadoopFiles::hidden)) {
                continue;
            }
            String split = dir.split() != null ? dir.split() : inValidation(relative, valFraction, seed) ? VAL : TRAIN;
            rows.add(RowFactory.create(f.getPath().toString(), relative, dir.label(), f.getLen(),
                    f.getModificationTime(), split));
        }
        return rows.iterator();
    }

    /** A stable split: the relative path decides, so an image keeps its side across runs and filesystems. */
    static boolean inValidation(String relativePath, double fraction, long seed) {
        long h = 0xcbf29ce484222325L ^ seed; // FNV-1a, then SplitMix64's finaliser to spread the bits
        for (byte b : relativePath.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }

    private static FileStatus status(FileSystem fs, Path path, String what) {
        try {
            return fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new DataException(what + " " + path + " does not exist");
        } catch (IOException e) {
            throw new DataException("cannot read " + what + " " + path + ": " + e.getMessage(), e);
        }
    }

    private static boolean isDirectory(FileSystem fs, Path p) {
        try {
            return fs.getFileStatus(p).isDirectory();
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> classFolders(FileSystem fs, Path dir) {
        try {
            List<String> names = new ArrayList<>();
            for (FileStatus s : fs.listStatus(dir)) {
                if (s.isDirectory() && !HadoopFiles.hidden(s.getPath().getName())) {
                    names.add(s.getPath().getName());
                }
            }
            names.sort(String::compareTo);
            return names;
        } catch (IOException e) {
            throw new DataException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
