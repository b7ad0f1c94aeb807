package io.seresnext.job;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;

/**
 * Kryo for Java records: Kryo 4 (Spark's) cannot build its field serializer for them on Java 17, and falling back
 * to Java serialization resolves classes with the wrong class loader on executors (the job's classes live in the
 * application jar, not on the executor's system class path). Components go through Kryo's own class resolution;
 * the record is rebuilt with its canonical constructor.
 */
public final class RecordKryoSerializer extends Serializer<Record> {

    private final Method[] accessors;
    private final Constructor<?> constructor;

    public RecordKryoSerializer(Class<?> type) {
        RecordComponent[] components = type.getRecordComponents();
        accessors = new Method[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            accessors[i] = components[i].getAccessor();
            accessors[i].setAccessible(true);
            types[i] = components[i].getType();
        }
        try {
            constructor = type.getDeclaredConstructor(types);
            constructor.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("record " + type + " has no canonical constructor", e);
        }
    }

    @Override
    public void write(Kryo kryo, Output output, Record record) {
        try {
            for (Method accessor : accessors) {
                kryo.writeClassAndObject(output, accessor.invoke(record));
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the components of " + record.getClass(), e);
        }
    }

    @Override
    public Record read(Kryo kryo, Input input, Class<Record> type) {
        Object[] values = new Object[accessors.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = kryo.readClassAndObject(input);
        }
        try {
            return (Record) constructor.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot rebuild " + type, e);
        }
    }
}
