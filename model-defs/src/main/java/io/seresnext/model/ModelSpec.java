package io.seresnext.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything that defines one member of the SE-ResNeXt family: the architecture table (stem, stages), the
 * block options (cardinality, squeeze-and-excitation, shortcut, grouped-convolution form) and the input/output
 * shapes. Immutable; built with {@link #imageNet(int)} or {@link #cifar(int)} and validated in {@link Builder#build()}.
 */
public record ModelSpec(
        String name,
        Stem stem,
        int stemChannels,
        List<StageSpec> stages,
        int cardinality,
        boolean squeezeExcitation,
        int seReduction,
        ShortcutType shortcut,
        GroupedConvForm groupedConvForm,
        boolean zeroInitResidualGamma,
        int numClasses,
        int inputChannels,
        int inputHeight,
        int inputWidth) {

    public ModelSpec {
        stages = List.copyOf(stages);
    }

    /** ImageNet-style network: 7x7 stem and four stages; depth 50 ([3,4,6,3]) or 101 ([3,4,23,3]). */
    public static Builder imageNet(int depth) {
        int[] blocks = switch (depth) {
            case 50 -> new int[] {3, 4, 6, 3};
            case 101 -> new int[] {3, 4, 23, 3};
            case 152 -> new int[] {3, 8, 36, 3};
            default -> throw new IllegalArgumentException("ImageNet depth must be 50, 101 or 152, got " + depth);
        };
        return new Builder(Stem.IMAGENET, blocks).numClasses(1000).input(3, 224, 224);
    }

    /** CIFAR-style network: 3x3 stem and three stages of (depth - 2) / 9 bottlenecks (29 layers: 3 each). */
    public static Builder cifar(int depth) {
        if (depth < 11 || (depth - 2) % 9 != 0) {
            throw new IllegalArgumentException("CIFAR depth must be 9n+2 (e.g. 29), got " + depth);
        }
        int n = (depth - 2) / 9;
        return new Builder(Stem.CIFAR, new int[] {n, n, n}).numClasses(10).input(3, 32, 32);
    }

    /** Total downsampling factor from input to the last stage. */
    public int totalStride() {
        int s = stem.stride();
        for (StageSpec st : stages) {
            s *= st.stride();
        }
        return s;
    }

    /** Channels of the last stage (the classifier's input). */
    public int featureChannels() {
        return stages.get(stages.size() - 1).outChannels();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public ModelSpec withInput(int channels, int height, int width) {
        return toBuilder().input(channels, height, width).build();
    }

    public ModelSpec withNumClasses(int classes) {
        return toBuilder().numClasses(classes).build();
    }

    public ModelSpec withGroupedConvForm(GroupedConvForm form) {
        return toBuilder().groupedConvForm(form).build();
    }

    public ModelSpec withZeroInitResidualGamma(boolean zero) {
        return toBuilder().zeroInitResidualGamma(zero).build();
    }

    /** Builder of the family's options; the stage table is derived from them in {@link #build()}. */
    public static final class Builder {
        private final Stem stem;
        private final int[] blocks;
        private String name = "custom";
        private int cardinality = 32;
        private int groupWidth = 4;
        private int widenFactor = 4;
        private boolean groupWidthDoubles = true;
        private boolean squeezeExcitation = true;
        private int seReduction = 16;
        private ShortcutType shortcut = ShortcutType.PROJECTION;
        private GroupedConvForm groupedConvForm = GroupedConvForm.GROUPED_LAYER;
        private boolean zeroInitResidualGamma = false;
        private int stemChannels = 64;
        private int baseChannels = 64;
        private int numClasses;
        private int inputChannels;
        private int inputHeight;
        private int inputWidth;
        /** Stages carried over from an existing spec: options that shape them can no longer be changed. */
        private List<StageSpec> fixedStages;

        private Builder(Stem stem, int[] blocks) {
            this.stem = stem;
            this.blocks = blocks.clone();
        }

        private Builder(ModelSpec s) {
            this.stem = s.stem;
            this.blocks = s.stages.stream().mapToInt(StageSpec::blocks).toArray();
            this.name = s.name;
            this.stemChannels = s.stemChannels;
            this.cardinality = s.cardinality;
            this.squeezeExcitation = s.squeezeExcitation;
            this.seReduction = s.seReduction;
            this.shortcut = s.shortcut;
            this.groupedConvForm = s.groupedConvForm;
            this.zeroInitResidualGamma = s.zeroInitResidualGamma;
            this.numClasses = s.numClasses;
            this.inputChannels = s.inputChannels;
            this.inputHeight = s.inputHeight;
            this.inputWidth = s.inputWidth;
            this.fixedStages = s.stages;
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** Channels of the stem convolution (64 in every published network). */
        public Builder stemChannels(int channels) {
            this.stemChannels = channels;
            return this;
        }

        /** CIFAR only: first stage's output before widening (64 in the paper; small values make tiny test nets). */
        public Builder baseChannels(int channels) {
            requireStagesOpen();
            this.baseChannels = channels;
            return this;
        }

        /** Number of paths C (1 = plain ResNet bottleneck). */
        public Builder cardinality(int c) {
            requireStagesOpen();
            this.cardinality = c;
            return this;
        }

        /** Channels per path d (at the first stage). */
        public Builder groupWidth(int d) {
            requireStagesOpen();
            this.groupWidth = d;
            return this;
        }

        /** CIFAR only: stage outputs are 64k, 128k, 256k. */
        public Builder widenFactor(int k) {
            requireStagesOpen();
            this.widenFactor = k;
            return this;
        }

        /** CIFAR only: whether the group width doubles at each stage (the paper's networks) or stays constant. */
        public Builder groupWidthDoubles(boolean doubles) {
            requireStagesOpen();
            this.groupWidthDoubles = doubles;
            return this;
        }

        public Builder squeezeExcitation(boolean se) {
            this.squeezeExcitation = se;
            return this;
        }

        public Builder seReduction(int r) {
            this.seReduction = r;
            return this;
        }

        public Builder shortcut(ShortcutType type) {
            this.shortcut = type;
            return this;
        }

        public Builder groupedConvForm(GroupedConvForm form) {
            this.groupedConvForm = form;
            return this;
        }

        /**
         * Start each residual branch's last BN with gamma = 0, so every block begins as the identity (Goyal et al.'s
         * large-batch trick). Off by default: with SE on that branch it slows early training (BENCHMARKS.md).
         */
        public Builder zeroInitResidualGamma(boolean zero) {
            this.zeroInitResidualGamma = zero;
            return this;
        }

        public Builder numClasses(int classes) {
            this.numClasses = classes;
            return this;
        }

        public Builder input(int channels, int height, int width) {
            this.inputChannels = channels;
            this.inputHeight = height;
            this.inputWidth = width;
            return this;
        }

        private void requireStagesOpen() {
            if (fixedStages != null) {
                throw new IllegalStateException("the stage table of '" + name
                        + "' is fixed; start from ModelSpec.imageNet/cifar to change its widths");
            }
        }

        private List<StageSpec> stages() {
            if (fixedStages != null) {
                return fixedStages;
            }
            List<StageSpec> stages = new ArrayList<>();
            for (int i = 0; i < blocks.length; i++) {
                int stride = i == 0 ? 1 : 2;
                if (stem == Stem.IMAGENET) {
                    int planes = 64 << i;
                    stages.add(new StageSpec(blocks[i], cardinality * (planes * groupWidth / 64), planes * 4, stride));
                } else {
                    int width = cardinality * groupWidth * (groupWidthDoubles ? 1 << i : 1);
                    stages.add(new StageSpec(blocks[i], width, baseChannels * widenFactor << i, stride));
                }
            }
            return stages;
        }

        public ModelSpec build() {
            require(stemChannels >= 1, "stemChannels", stemChannels, ">= 1");
            require(baseChannels >= 1, "baseChannels", baseChannels, ">= 1");
            require(cardinality >= 1, "cardinality", cardinality, ">= 1");
            require(groupWidth >= 1, "groupWidth", groupWidth, ">= 1");
            require(widenFactor >= 1, "widenFactor", widenFactor, ">= 1");
            require(seReduction >= 1, "seReduction", seReduction, ">= 1");
            require(numClasses >= 2, "numClasses", numClasses, ">= 2");
            require(inputChannels == 1 || inputChannels == 3, "inputChannels", inputChannels, "1 or 3");
            List<StageSpec> stages = stages();
            for (StageSpec st : stages) {
                if (st.width() % cardinality != 0) {
                    throw new IllegalArgumentException("stage width " + st.width()
                            + " is not divisible by cardinality " + cardinality);
                }
                if (squeezeExcitation && st.outChannels() / seReduction < 1) {
                    throw new IllegalArgumentException("seReduction " + seReduction + " leaves no SE hidden units for "
                            + st.outChannels() + " channels");
                }
            }
            ModelSpec spec = new ModelSpec(name, stem, stemChannels, stages, cardinality, squeezeExcitation, seReduction,
                    shortcut, groupedConvForm, zeroInitResidualGamma, numClasses, inputChannels, inputHeight,
                    inputWidth);
            int min = spec.totalStride();
            if (inputHeight < min || inputWidth < min) {
                throw new IllegalArgumentException("input " + inputHeight + "x" + inputWidth + " is too small for '"
                        + name + "': height and width must be at least " + min + " (its total stride)");
            }
            return spec;
        }

        private static void require(boolean ok, String option, int value, String rule) {
            if (!ok) {
                throw new IllegalArgumentException(option + " must be " + rule + ", got " + value);
            }
        }
    }
}
