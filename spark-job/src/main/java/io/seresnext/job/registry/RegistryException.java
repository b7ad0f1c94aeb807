package io.seresnext.job.registry;

/** The registry could not be read or written while running (exit status 1); the message names the registry. */
public final class RegistryException extends RuntimeException {
    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }

    public RegistryException(String message) {
        super(message);
    }
}
