"""PyTorch twins of the model-defs presets (io.seresnext.model.Presets), for reference runs against the Spark job.

The architecture table, block conventions and initialisation follow ModelSpec and SeResNeXtGraph:
  * stem: ImageNet 7x7/2 conv + BN + ReLU + 3x3/2 max pool; CIFAR 3x3/1 conv + BN + ReLU
  * bottleneck: 1x1 -> BN -> ReLU -> grouped 3x3 (stride here) -> BN -> ReLU -> 1x1 -> BN -> [SE] -> + shortcut
    -> ReLU; SE = global avg pool -> FC(C/r) + ReLU -> FC(C) + sigmoid, scaling the last BN's output
  * shortcut where the shape changes: 1x1 conv (stride) + BN, or (seed net) 2x2 avg pool + zero channel padding
  * convs without bias; BN eps 1e-5, momentum 0.1 (DL4J decay 0.9)
  * init as DL4J's: convs and SE fc1 WeightInit.RELU = N(0, 2/fan_in) (grouped conv: fan_in = in/groups*k*k,
    as GroupedConvolutionParamInitializer); SE fc2 and the classifier WeightInit.XAVIER = N(0, 2/(fan_in+fan_out));
    biases 0; BN gamma 1, beta 0 (gamma 0 on each branch's last BN with zero_residual_gamma)

Note: the Java presets are built with zeroInitResidualGamma = true (ModelSpec.Builder's default), so a run that
mirrors the Spark job passes zero_residual_gamma=True.

Run `python3 seresnext_torch.py` to print every preset's trainable parameter count (Java: `submit/local.sh models`).
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# name -> (stem, blocks per stage, cardinality, group width, options); mirrors Presets.java
_IMAGENET_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def _imagenet(depth, cardinality, group_width, se):
    return dict(stem="imagenet", blocks=_IMAGENET_BLOCKS[depth], cardinality=cardinality, group_width=group_width,
                se=se, classes=1000, size=224)


def _cifar(depth, cardinality, group_width, widen, se, doubles=True, shortcut="projection", stem_channels=64,
           base_channels=64):
    n = (depth - 2) // 9
    return dict(stem="cifar", blocks=(n, n, n), cardinality=cardinality, group_width=group_width, widen=widen,
                se=se, doubles=doubles, shortcut=shortcut, stem_channels=stem_channels,
                base_channels=base_channels, classes=10, size=32)


PRESETS = {
    "resnet50": _imagenet(50, 1, 64, False),
    "seresnet50": _imagenet(50, 1, 64, True),
    "resnext50_32x4d": _imagenet(50, 32, 4, False),
    "seresnext50_32x4d": _imagenet(50, 32, 4, True),
    "seresnext101_32x4d": _imagenet(101, 32, 4, True),
    "resnext29_8x64d": _cifar(29, 8, 64, 4, False),
    "resnext29_16x64d": _cifar(29, 16, 64, 4, False),
    "seresnext29_8x64d": _cifar(29, 8, 64, 4, True),
    "seresnext29_8x16d_w1": _cifar(29, 8, 16, 1, True),
    "seresnext29_seed": _cifar(29, 8, 64, 1, True, doubles=False, shortcut="avgpool_zero_pad"),
    "seresnext11_4x8d_tiny": _cifar(11, 4, 8, 1, True, stem_channels=16, base_channels=32),
}


def stages(p):
    """(blocks, width, out_channels, stride) per stage, as ModelSpec.Builder.stages() derives them."""
    out = []
    for i, n in enumerate(p["blocks"]):
        stride = 1 if i == 0 else 2
        if p["stem"] == "imagenet":
            planes = 64 << i
            out.append((n, p["cardinality"] * (planes * p["group_width"] // 64), planes * 4, stride))
        else:
            width = p["cardinality"] * p["group_width"] * ((1 << i) if p["doubles"] else 1)
            out.append((n, width, p["base_channels"] * p["widen"] << i, stride))
    return out


def _bn(c):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)


def _conv(cin, cout, k, stride=1, groups=1):
    return nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3))))))
        return x * s[:, :, None, None]


class Bottleneck(nn.Module):
    def __init__(self, cin, width, cout, stride, cardinality, se, reduction, shortcut):
        super().__init__()
        self.conv1, self.bn1 = _conv(cin, width, 1), _bn(width)
        self.conv2, self.bn2 = _conv(width, width, 3, stride, cardinality), _bn(width)
        self.conv3, self.bn3 = _conv(width, cout, 1), _bn(cout)
        self.se = SqueezeExcitation(cout, reduction) if se else None
        self.stride, self.cout = stride, cout
        self.projection = None
        self.pad = False  # parameter-free shortcut: avg pool where strided, zero channels appended where wider
        if stride != 1 or cin != cout:
            if shortcut == "projection":
                self.projection = nn.Sequential(_conv(cin, cout, 1, stride), _bn(cout))
            else:
                self.pad = True

    def shortcut(self, x):
        if self.projection is not None:
            return self.projection(x)
        if self.pad:
            if self.stride != 1:
                x = F.avg_pool2d(x, self.stride)
            if x.shape[1] != self.cout:
                x = F.pad(x, (0, 0, 0, 0, 0, self.cout - x.shape[1]))
        return x

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.se is not None:
            y = self.se(y)
        return F.relu(y + self.shortcut(x))


class SeResNeXt(nn.Module):
    def __init__(self, p, num_classes, in_channels=3):
        super().__init__()
        c = p.get("stem_channels", 64)
        if p["stem"] == "imagenet":
            self.stem = nn.Sequential(_conv(in_channels, c, 7, 2), _bn(c), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        else:
            self.stem = nn.Sequential(_conv(in_channels, c, 3), _bn(c), nn.ReLU())
        blocks = []
        for n, width, cout, stride in stages(p):
            for b in range(n):
                blocks.append(Bottleneck(c, width, cout, stride if b == 0 else 1, p["cardinality"], p["se"], 16,
                                         p.get("shortcut", "projection")))
                c = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


def _normal(w, fan_in, fan_out=None):
    # DL4J's RELU init (fan_out None) or XAVIER init; both plain normals, not truncated
    std = math.sqrt(2.0 / fan_in) if fan_out is None else math.sqrt(2.0 / (fan_in + fan_out))
    nn.init.normal_(w, 0.0, std)


def init_dl4j(model, zero_residual_gamma=False):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            _normal(m.weight, m.weight[0].numel())  # [out, in/groups, k, k]: fan_in = in/groups*k*k
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, SqueezeExcitation):
            _normal(m.fc1.weight, m.fc1.in_features)
            _normal(m.fc2.weight, m.fc2.in_features, m.fc2.out_features)
            nn.init.zeros_(m.fc1.bias)
            nn.init.zeros_(m.fc2.bias)
    _normal(model.fc.weight, model.fc.in_features, model.fc.out_features)
    nn.init.zeros_(model.fc.bias)
    if zero_residual_gamma:
        for b in model.blocks:
            nn.init.zeros_(b.bn3.weight)


def create(preset, num_classes, in_channels=3, zero_residual_gamma=False):
    """The preset with the dataset's class count (as the job replaces it), initialised as DL4J would."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset '{preset}'; known presets: {', '.join(PRESETS)}")
    model = SeResNeXt(PRESETS[preset], num_classes, in_channels)
    init_dl4j(model, zero_residual_gamma)
    return model


def trainable_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


if __name__ == "__main__":
    for name in sys.argv[1:] or PRESETS:
        print(f"{name:24s} {trainable_parameters(create(name, PRESETS[name]['classes'])):>12,d}")
