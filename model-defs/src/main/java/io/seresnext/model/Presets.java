package io.seresnext.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named members of the family. ImageNet presets: 3x224x224, 1000 classes; CIFAR presets: 3x32x32, 10 classes.
 * {@code ModelSpec.withInput/withNumClasses} adapt any of them to a dataset.
 */
public final class Presets {

    private static final Map<String, ModelSpec> PRESETS = new LinkedHashMap<>();

    static {
        add(ModelSpec.imageNet(50).name("resnet50").cardinality(1).groupWidth(64).squeezeExcitation(false));
        add(ModelSpec.imageNet(50).name("seresnet50").cardinality(1).groupWidth(64).squeezeExcitation(true));
        add(ModelSpec.imageNet(50).name("resnext50_32x4d").cardinality(32).groupWidth(4).squeezeExcitation(false));
        add(ModelSpec.imageNet(50).name("seresnext50_32x4d").cardinality(32).groupWidth(4).squeezeExcitation(true));
        add(ModelSpec.imageNet(101).name("seresnext101_32x4d").cardinality(32).groupWidth(4).squeezeExcitation(true));
        add(ModelSpec.cifar(29).name("resnext29_8x64d").cardinality(8).groupWidth(64).widenFactor(4)
                .squeezeExcitation(false));
        add(ModelSpec.cifar(29).name("resnext29_16x64d").cardinality(16).groupWidth(64).widenFactor(4)
                .squeezeExcitation(false));
        add(ModelSpec.cifar(29).name("seresnext29_8x64d").cardinality(8).groupWidth(64).widenFactor(4)
                .squeezeExcitation(true));
        // the small CPU-sized anchor of the PyTorch reference: outputs 64/128/256, widths 128/256/512
        add(ModelSpec.cifar(29).name("seresnext29_8x16d_w1").cardinality(8).groupWidth(16).widenFactor(1)
                .squeezeExcitation(true));
        // the seed network: 64 channels per path at every stage, parameter-free downsampling shortcut
        add(ModelSpec.cifar(29).name("seresnext29_seed").cardinality(8).groupWidth(64).widenFactor(1)
                .groupWidthDoubles(false).squeezeExcitation(true).shortcut(ShortcutType.AVGPOOL_ZERO_PAD));
        // the embedded demo: every block type of the family (grouped 3x3, SE, projection shortcut) at a size that
        // trains in minutes on two CPU cores; one block per stage, outputs 32/64/128, widths 32/64/128
        add(ModelSpec.cifar(11).name("seresnext11_4x8d_tiny").cardinality(4).groupWidth(8).widenFactor(1)
                .stemChannels(16).baseChannels(32).squeezeExcitation(true).numClasses(10).input(3, 32, 32));
    }

    private Presets() {
    }

    private static void add(ModelSpec.Builder b) {
        ModelSpec spec = b.build();
        PRESETS.put(spec.name(), spec);
    }

    public static Set<String> names() {
        return Collections.unmodifiableSet(PRESETS.keySet());
    }

    public static boolean exists(String name) {
        return PRESETS.containsKey(name);
    }

    /** The preset of that name; the message lists the known names otherwise. */
    public static ModelSpec get(String name) {
        ModelSpec spec = PRESETS.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; known presets: " + names());
        }
        return spec;
    }
}
