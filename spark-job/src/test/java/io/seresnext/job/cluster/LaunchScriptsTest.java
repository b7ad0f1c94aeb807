package io.seresnext.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spark-submit commands submit/*.sh build from conf/ (--dry-run prints them without running). */
class LaunchScriptsTest {

    private record Run(int status, String output) {
    }

    private static Run script(String name, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", Path.of("../submit", name).toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("SPARK_MASTER");
        pb.environment().remove("SPARK_PROPERTIES");
        pb.environment().remove("SPARK_AUTH_SECRET_FILE");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), out);
    }

    private static final String SECRET = "the-clusters-secret-7f3a";

    /** A standalone cluster's secret file as README's Security section describes it (mode 600). */
    private static Path secretFile(Path dir, String content, String permissions) throws Exception {
        Path file = dir.resolve("auth.properties");
        java.nio.file.Files.writeString(file, content);
        java.nio.file.Files.setPosixFilePermissions(file,
                java.nio.file.attribute.PosixFilePermissions.fromString(permissions));
        return file;
    }

    private static Path secretFile(Path dir) throws Exception {
        return secretFile(dir, "spark.authenticate=true\nspark.authenticate.secret=" + SECRET + "\n", "rw-------");
    }

    @Test
    void yarnClusterModeCarriesTheJobsSettings() throws Exception {
        Run r = script("yarn.sh", Map.of("DEPLOY_MODE", "cluster", "SPARK_HOME", "/opt/spark-3.5"),
                "--dry-run", "train", "--input", "hdfs:///in", "--epochs", "3");
        assertEquals(0, r.status(), r.output());
        String c = r.output();
        assertTrue(c.startsWith("/opt/spark-3.5/bin/spark-submit --master yarn --deploy-mode cluster"), c);
        for (String expected : List.of("--class io.seresnext.job.Main",
                "spark.kryo.registrator=io.seresnext.job.JobKryoRegistrator",
                "spark.serializer=org.apache.spark.serializer.KryoSerializer", "spark.locality.wait=0s",
                "spark.executor.memoryOverhead=12g", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "SystemClockTimeSource", "aeron.publication.unblock.timeout=60000000000",
                "org.bytedeco.javacpp.maxphysicalbytes=16G", "-Dlog4j.configurationFile=log4j2.properties",
                "--conf spark.authenticate=true", "--conf spark.network.crypto.enabled=true",
                "--conf spark.io.encryption.enabled=true",
                "spark-job-cluster.jar train --input hdfs:///in --epochs 3")) {
            assertTrue(c.contains(expected), "missing " + expected + " in\n" + c);
        }
        assertTrue(!c.contains("--dry-run"), "--dry-run is the script's, not the job's");
        // YARN makes each application's secret: no secret file asked for or passed
        assertTrue(!c.contains("--properties-file") && !c.contains("spark.authenticate.secret"), c);
    }

    @Test
    void standaloneAuthenticatesWithTheSecretFileItNamesButNeverShows(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path secret = secretFile(dir);
        Run r = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077", "SPARK_AUTH_SECRET_FILE",
                secret.toString()), "--dry-run", "train", "--input", "hdfs:///in");
        assertEquals(0, r.status(), r.output());
        for (String expected : List.of("--properties-file " + secret, "--conf spark.authenticate=true",
                "--conf spark.network.crypto.enabled=true", "--conf spark.io.encryption.enabled=true")) {
            assertTrue(r.output().contains(expected), "missing " + expected + " in\n" + r.output());
        }
        assertTrue(!r.output().contains(SECRET), "the secret itself is on the command line:\n" + r.output());
    }

    @Test
    void standaloneWithAuthenticationRefusesAMissingOpenOrSecretlessFile(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Run unset = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077"), "--dry-run", "train");
        assertEquals(2, unset.status(), unset.output());
        assertTrue(unset.output().contains("set SPARK_AUTH_SECRET_FILE"), unset.output());

        Path absent = dir.resolve("nope.properties");
        Run missing = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077", "SPARK_AUTH_SECRET_FILE",
                absent.toString()), "--dry-run", "train");
        assertEquals(2, missing.status(), missing.output());
        assertTrue(missing.output().contains("SPARK_AUTH_SECRET_FILE '" + absent + "' is not a readable file"),
                missing.output());

        Path open = secretFile(dir, "spark.authenticate.secret=" + SECRET + "\n", "rw-r--r--");
        Run readable = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077", "SPARK_AUTH_SECRET_FILE",
                open.toString()), "--dry-run", "train");
        assertEquals(2, readable.status(), readable.output());
        assertTrue(readable.output().contains("is readable by others: chmod 600 it"), readable.output());

        Path empty = secretFile(dir, "spark.authenticate=true\n", "rw-------");
        Run secretless = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077", "SPARK_AUTH_SECRET_FILE",
                empty.toString()), "--dry-run", "train");
        assertEquals(2, secretless.status(), secretless.output());
        assertTrue(secretless.output().contains("has no spark.authenticate.secret line"), secretless.output());
        for (Run refused : List.of(unset, missing, readable, secretless)) {
            assertTrue(!refused.output().contains("spark-submit"), "refused before any command:\n" + refused.output());
        }
    }

    @Test
    void standaloneNeedsItsMasterAndLayersExtraProperties(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Run missing = script("standalone.sh", Map.of(), "--dry-run", "train");
        assertTrue(missing.status() != 0 && missing.output().contains("SPARK_MASTER"), missing.output());

        String secret = secretFile(dir).toString();
        Path extra = dir.resolve("site.properties");
        java.nio.file.Files.writeString(extra, "spark.executor.memory=30g\n# a comment\n");
        Run r = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077", "SPARK_PROPERTIES",
                extra.toString(), "SPARK_AUTH_SECRET_FILE", secret), "--dry-run", "prepare", "--input", "hdfs:///in");
        assertEquals(0, r.status(), r.output());
        assertTrue(r.output().contains("--master spark://m:7077 --deploy-mode client"), r.output());
        int standard = r.output().indexOf("spark.executor.memory=6g");
        int site = r.output().indexOf("spark.executor.memory=30g");
        assertTrue(standard >= 0 && site > standard, "site properties come last (and win): " + r.output());

        // a colon-separated list, applied in order; a path with a space is one path
        Path spaced = java.nio.file.Files.createDirectories(dir.resolve("site conf")).resolve("more.properties");
        java.nio.file.Files.writeString(spaced, "spark.executor.memory=40g\n");
        Run two = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077", "SPARK_PROPERTIES",
                extra + ":" + spaced, "SPARK_AUTH_SECRET_FILE", secret), "--dry-run", "prepare", "--input", "hdfs:///in");
        assertEquals(0, two.status(), two.output());
        assertTrue(two.output().indexOf("spark.executor.memory=40g") > two.output().indexOf(
                "spark.executor.memory=30g"), two.output());

        Run absent = script("standalone.sh", Map.of("SPARK_MASTER", "spark://m:7077", "SPARK_PROPERTIES",
                dir.resolve("nope.properties").toString(), "SPARK_AUTH_SECRET_FILE", secret), "--dry-run", "prepare",
                "--input", "hdfs:///in");
        assertEquals(2, absent.status(), absent.output());
        assertTrue(absent.output().contains("nope.properties"), absent.output());
    }

    @Test
    void aBadDeployModeIsRefused() throws Exception {
        Run r = script("yarn.sh", Map.of("DEPLOY_MODE", "sideways"), "--dry-run", "train");
        assertEquals(2, r.status());
        assertTrue(r.output().contains("DEPLOY_MODE must be cluster or client"), r.output());
    }

    @Test
    void theGpuPresetLayersOverYarnAndBindsExecutorsToTheirGpus() throws Exception {
        Run r = script("yarn.sh", Map.of("SPARK_PROPERTIES", "../conf/spark/yarn-gpu.properties"), "--dry-run",
                "train");
        assertEquals(0, r.status(), r.output());
        for (String expected : List.of("spark.executor.resource.gpu.amount=1",
                "spark.executor.resource.gpu.discoveryScript=/opt/seresnext/discover-gpus.sh",
                "spark.task.resource.gpu.amount=0.25", "spark.plugins=io.seresnext.job.gpu.GpuBindingPlugin")) {
            assertTrue(r.output().contains(expected), "missing " + expected + " in\n" + r.output());
        }
    }

    @Test
    void theDiscoveryScriptReportsWhatNvidiaSmiListsOrSaysWhyNot(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path smi = dir.resolve("nvidia-smi");
        java.nio.file.Files.writeString(smi, "#!/usr/bin/env bash\nprintf '0\\n 1\\n'\n");
        smi.toFile().setExecutable(true);
        Run found = script("gpu/discover-gpus.sh", Map.of("PATH", dir + ":/usr/bin:/bin"));
        assertEquals(0, found.status(), found.output());
        assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\",\"1\"]}", found.output().trim());

        Run none = script("gpu/discover-gpus.sh", Map.of("PATH", "/usr/bin:/bin"));
        assertTrue(none.status() != 0 && none.output().contains("nvidia-smi not found"), none.output());
    }

    @Test
    void retrainRunsARerunSafeGatedTrainingThenScoresWithTheRegistry() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("INPUT", "hdfs:///in", "RUNS", "hdfs:///runs/",
                "REGISTRY", "hdfs:///models/r", "EVAL", "hdfs:///eval", "LAUNCHER", "yarn"));
        Run trainOnly = script("retrain.sh", env, "--dry-run", "2026-12-01");
        assertEquals(0, trainOnly.status(), trainOnly.output());
        String[] lines = trainOnly.output().strip().split("\n");
        assertEquals(1, lines.length, "no scoring without SCORE:\n" + trainOnly.output());
        assertTrue(lines[0].endsWith("submit/yarn.sh train --input hdfs:///in --output hdfs:///runs/2026-12-01 "
                + "--rerun-safe --init-model hdfs:///models/r --register hdfs:///models/r --promote-if hdfs:///eval"),
                lines[0]);

        env.putAll(Map.of("SCORE", "hdfs:///new", "PREDICTIONS", "hdfs:///predictions"));
        Run withScoring = script("retrain.sh", env, "--dry-run", "2026-12-01");
        assertTrue(withScoring.output().strip().endsWith("submit/yarn.sh predict --model hdfs:///models/r --input "
                + "hdfs:///new --output hdfs:///predictions/2026-12-01 --overwrite"), withScoring.output());

        Run badId = script("retrain.sh", env, "--dry-run", "../elsewhere");
        assertEquals(2, badId.status(), badId.output());
        assertTrue(badId.output().contains("RUN_ID"), badId.output());
    }
}
