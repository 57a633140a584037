"""Networks: output shapes per network and input, learning, determinism, MAC counts."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from quakesat.models.macs import count_macs, count_parameters  # noqa: E402
from quakesat.models.networks import (  # noqa: E402
    NETWORKS,
    MobileNetV2,
    NetSpec,
    QuakeLite,
    build_network,
)


@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("in_channels", [4, 2])
def test_heads_and_shapes(name: str, in_channels: int) -> None:
    net = build_network(name, NetSpec(in_channels=in_channels, event=True, magnitude=True, location=True))
    out = net.eval()(torch.randn(3, in_channels, 64, 64))
    assert set(out) == {"event", "magnitude", "location"}
    assert out["event"].shape == (3,) and out["magnitude"].shape == (3,)
    assert out["location"].shape == (3, 2) and out["location"].abs().max() <= 1.0


def test_single_head_network_has_only_that_head() -> None:
    out = MobileNetV2(NetSpec(in_channels=4, event=False, magnitude=True)).eval()(torch.randn(1, 4, 64, 64))
    assert set(out) == {"magnitude"}


def test_unknown_network_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="mobilenetv2"):
        build_network("resnet50", NetSpec())


def test_same_seed_same_weights() -> None:
    torch.manual_seed(7)
    a = QuakeLite(NetSpec())
    torch.manual_seed(7)
    b = QuakeLite(NetSpec())
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    torch.manual_seed(8)
    c = QuakeLite(NetSpec())
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


def test_mobilenetv2_matches_the_published_cost() -> None:
    # Sandler et al. 2018, Table 4: MobileNetV2 1.0 at 224 x 224 x 3 costs 300 M multiply-adds;
    # with its 1000-class classifier (1280 x 1000 + 1000) it has 3,504,872 parameters, the
    # count torchvision's model documentation gives (the paper rounds it to 3.4 M).
    net = MobileNetV2(NetSpec(in_channels=3))
    macs, _ = count_macs(net, (3, 224, 224))
    assert 295e6 < macs < 305e6
    assert count_parameters(net.backbone) + 1280 * 1000 + 1000 == 3_504_872


def test_mac_count_by_hand_for_a_small_stack() -> None:
    stack = nn.Sequential(
        nn.Conv2d(4, 8, 3, stride=2, padding=1),  # out 8 x 8 x 8: 512 outputs x 4*9 = 18,432
        nn.Conv2d(8, 8, 3, padding=1, groups=8),  # depthwise: 512 outputs x 1*9 = 4,608
        nn.Conv2d(8, 16, 1),  # pointwise: 16*8*8 = 1,024 outputs x 8 = 8,192
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 3),  # 48
    )
    total, layers = count_macs(stack, (4, 16, 16))
    assert [layer.macs for layer in layers] == [18432, 4608, 8192, 48]
    assert total == 18432 + 4608 + 8192 + 48


def test_quakelite_is_far_cheaper_than_mobilenetv2_at_512() -> None:
    mobilenet, _ = count_macs(MobileNetV2(NetSpec(in_channels=4)), (4, 512, 512))
    lite, _ = count_macs(QuakeLite(NetSpec(in_channels=4)), (4, 128, 128))  # downsample=4 input
    assert lite * 20 <= mobilenet


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_a_net_learns_eight_samples(name: str) -> None:
    torch.manual_seed(0)
    x = torch.randn(8, 4, 32, 32)
    y = torch.tensor([0.0, 1.0] * 4)
    x[y == 1, 2:] += 1.5  # positives: the second image is brighter
    net = build_network(name, NetSpec(in_channels=4))
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(40):
        optimiser.zero_grad()
        loss = loss_fn(net(x)["event"], y)
        loss.backward()
        optimiser.step()
    # Dropout off, batch norm on batch statistics: after 40 steps the running averages still
    # lag the weights, and what is tested here is that the network fits, not BN warm-up.
    net.eval()
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.train()
    with torch.no_grad():
        predicted = (net(x)["event"] > 0).float()
    assert torch.equal(predicted, y), f"final loss {loss.item():.3f}"


@pytest.mark.parametrize("build, shape", [
    (lambda: MobileNetV2(NetSpec(in_channels=4)), (4, 128, 128)),
    (lambda: QuakeLite(NetSpec(in_channels=4, event=True, magnitude=True, location=True)), (4, 64, 64)),
])
def test_mac_count_equals_torch_flop_counter(build, shape) -> None:
    """Our hook-based count (convolutions and linear layers) against PyTorch's own
    ``torch.utils.flop_counter`` on the same network, which counts 2 FLOPs per MAC."""
    from torch.utils.flop_counter import FlopCounterMode

    net = build().eval()
    macs, _ = count_macs(net, shape)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        net(torch.zeros((1, *shape)))
    assert counter.get_total_flops() == 2 * macs
