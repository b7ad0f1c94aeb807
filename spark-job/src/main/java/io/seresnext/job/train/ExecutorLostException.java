package io.seresnext.job.train;

/** A training run stopped because an executor was lost where the training master cannot go on without it. */
public final class ExecutorLostException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ExecutorLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
