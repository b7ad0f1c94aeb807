package io.seresnext.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Makes ND4J load the libnd4j build this project ships: the oneDNN build on CPU ({@code -onednn-avx2}), the cuDNN
 * build with the {@code cuda} profile. JavaCPP loads the plain natives (no oneDNN, no cuDNN) unless the system
 * property {@code org.bytedeco.javacpp.platform.extension} names the variant before ND4J starts; this sets it from
 * what the build recorded, so that neither users nor launch scripts have to. Call it before anything touches
 * {@code Nd4j}; a value already set (e.g. on the command line) wins.
 */
public final class NativeBackend {

    public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";

    private NativeBackend() {
    }

    /** The natives variant recorded by the build, e.g. {@code -onednn-avx2}. */
    public static String builtExtension() {
        try (InputStream in = NativeBackend.class.getResourceAsStream("native-backend.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("javacpp.platform.extension", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Selects the shipped natives unless a choice was already made; returns the variant in effect. */
    public static String selectShippedNatives() {
        String current = System.getProperty(EXTENSION_PROPERTY);
        if (current == null) {
            current = builtExtension();
            System.setProperty(EXTENSION_PROPERTY, current);
        }
        return current;
    }
}
