package io.seresnext.job.output;

/** The output cannot be used as asked; the message names the path and the option that would allow it. */
public final class OutputException extends RuntimeException {
    public OutputException(String message) {
        super(message);
    }

    public OutputException(String message, Throwable cause) {
        super(message, cause);
    }
}
