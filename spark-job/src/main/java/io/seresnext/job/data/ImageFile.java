package io.seresnext.job.data;

import java.io.Serializable;

/** One file of the image folder, as listed on an executor. */
public record ImageFile(String path, String relativePath, int label, long size, long modified, String split)
        implements Serializable {
}
