package io.seresnext.job.config;

/** A job configuration or command line that cannot run; the message names the key or option. */
public final class InvalidConfigException extends IllegalArgumentException {
    public InvalidConfigException(String message) {
        super(message);
    }
}
