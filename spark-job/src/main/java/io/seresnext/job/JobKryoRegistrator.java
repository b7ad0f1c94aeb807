package io.seresnext.job;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;
import org.nd4j.kryo.Nd4jRegistrator;

/**
 * Spark's Kryo set up for this job: ND4J's arrays (Nd4jRegistrator), and Java records (batch results, file
 * listings), which Kryo 4's field serializer cannot build on Java 17 ("can't get field offset on a record class"):
 * {@link RecordKryoSerializer}. Java serialization is no way out: on executors it resolves classes with the system
 * class loader, which does not see the application jar (StandaloneClusterIT fails without this).
 */
public final class JobKryoRegistrator implements KryoRegistrator {

    @Override
    public void registerClasses(Kryo kryo) {
        new Nd4jRegistrator().registerClasses(kryo);
        kryo.addDefaultSerializer(Record.class, RecordKryoSerializer.class);
    }
}
