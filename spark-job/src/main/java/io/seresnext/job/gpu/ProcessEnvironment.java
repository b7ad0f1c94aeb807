package io.seresnext.job.gpu;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The process's C environment (libc setenv/getenv through JNA). Java cannot change its own environment, but native
 * libraries read this one when they start: the CUDA runtime reads CUDA_VISIBLE_DEVICES when ND4J first uses it.
 */
final class ProcessEnvironment {

    /** The two libc calls needed. */
    private interface C extends Library {
        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    private static final C LIBC = Native.loadLibrary("c", C.class);

    private ProcessEnvironment() {
    }

    static void set(String name, String value) {
        if (LIBC.setenv(name, value, 1) != 0) {
            throw new IllegalStateException("setenv(" + name + ") failed");
        }
    }

    static String get(String name) {
        return LIBC.getenv(name);
    }
}
