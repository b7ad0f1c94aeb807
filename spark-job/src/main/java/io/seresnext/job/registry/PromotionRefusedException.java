package io.seresnext.job.registry;

/**
 * The run finished and its model is registered, but the quality gate kept it from becoming current: a scheduler
 * must tell this from a failure, so it has an exit status of its own (3).
 */
public final class PromotionRefusedException extends RuntimeException {
    public PromotionRefusedException(String message) {
        super(message);
    }
}
