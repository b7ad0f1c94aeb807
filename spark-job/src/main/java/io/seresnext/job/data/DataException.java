package io.seresnext.job.data;

/** The dataset cannot be used as given; the message names the path and what is wrong with it. */
public final class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
