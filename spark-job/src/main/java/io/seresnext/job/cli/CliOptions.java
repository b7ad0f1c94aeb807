package io.seresnext.job.cli;

/**
 * What scopt fills in while it reads the command line. Mutable only inside {@link CommandLine}; commands receive
 * the validated, typed values it produces.
 */
final class CliOptions {
    String command = "";
    boolean json;
    String preset;
    int batch = 16;
    String input;
    int steps = 10;
    int warmup = 5;
    String form = "grouped";
    boolean gcEachStep;
    boolean forwardOnly;
    /** bench-data */
    int images = 256;
    String source = "500x375";
    int storedSize = 256;
    int imageSize = 224;
    int passes = 3;
    /** evaluate: the published model */
    String model;
    /** predict */
    int topK = 5;
    /** train / prepare / evaluate: the job preset and the overrides, keyed as in the configuration. */
    String configFile;
    final java.util.Map<String, Object> overrides = new java.util.LinkedHashMap<>();
    /** registry: its URI, the sub-command and its VERSION argument */
    String registry = "";
    String registryAction = "";
    String version = "";
}
