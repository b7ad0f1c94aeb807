package io.seresnext.job;

import io.seresnext.job.config.JobConfig;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The job's Spark session: what spark-submit configured, plus the settings DL4J needs where it did not. */
public final class SparkSessions {

    private SparkSessions() {
    }

    public static SparkSession start(JobConfig config, String purpose) {
        SparkConf conf = new SparkConf(); // reads the spark.* properties spark-submit passes
        if (!conf.contains("spark.master")) {
            conf.setMaster(config.master());
        }
        conf.setIfMissing("spark.app.name", "seresnext " + purpose + " " + config.model().preset());
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrator", JobKryoRegistrator.class.getName());
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
