"""``quakesat train``: fit a network (torch) on a QuakeSet file and write a model folder.

Defaults follow the QuakeSet paper for CNNs: AdamW, learning rate 1e-4, batch 16, 6 epochs,
a cosine schedule after a 10 % linear warm-up, cross-entropy for detection (one logit with
binary cross-entropy, the two-class cross-entropy's equivalent), MSE for magnitude, and a
weighted sum of them (plus the epicentre offset where known) for the multi-head network.

The multi-head network's magnitude head is *conditional*: it is trained on event samples
only (mb given that an earthquake hit) and its reported magnitude is that value where the
event head fires and 0 elsewhere (the paper's convention for "no event"). A magnitude-only
network regresses the paper's target directly (0 for negatives), which asks one linear head
to be both a detector and a regressor; docs/results.md compares the two.

A model folder holds ``model.pt`` (state dict) and ``config.json``: the network, task, input
kind, training options, the preprocessing constants and version (one definition,
``quakesat.runtime.preprocess``), the data it saw and its validation metrics.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from quakesat import __version__
from quakesat.data.quakeset import QuakeSetFile, Task
from quakesat.errors import ConfigError, ModelNotFoundError
from quakesat.files import atomic_output
from quakesat.models.augment import augment_interferograms
from quakesat.models.inject import SignalInjector, as_targets
from quakesat.models.model_config import CONFIG_NAME, read_model_config, write_model_config
from quakesat.models.networks import NETWORKS, NetSpec, build_network
from quakesat.models.torch_data import TorchQuakeSet
from quakesat.runtime.interferogram import CHANNELS as INTERFEROMETRIC_CHANNELS
from quakesat.runtime.interferogram import DEFAULT_LOOKS, InterferogramConfig
from quakesat.runtime.preprocess import PreprocessConfig

#: (task, input) → the paper's task number; "multi" trains tasks 1 and 2 in one pass.
PAPER_TASK = {("detect", "bitemporal"): 1, ("magnitude", "bitemporal"): 2,
              ("detect", "single"): 5, ("magnitude", "single"): 6, ("multi", "bitemporal"): 1,
              # a same-track pair (``quakesat simulate --slc``) formed into an interferogram on the
              # pairs of task 1 (detection) or 2 (magnitude): runtime/interferogram.py
              ("detect", "interferometric"): 1, ("magnitude", "interferometric"): 2,
              ("multi", "interferometric"): 1}
#: Default multilook factor of each network's input (see README "Models").
DEFAULT_DOWNSAMPLE = {"mobilenetv2": 1, "quakelite": 2, "quakelite-wide": 2}
#: Event probability from which a tile counts as an event in training-side metrics.
EVENT_THRESHOLD = 0.5
DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class TrainConfig:
    """Options of one training run (stored in ``config.json``)."""

    model: str = "quakelite"
    task: str = "detect"  # detect | magnitude | multi
    input: str = "bitemporal"  # bitemporal | single | interferometric
    epochs: int = 6
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 1e-2
    warmup_share: float = 0.1
    seed: int = 0
    downsample: int | None = None  # None: the network's default
    loss_weights: dict[str, float] = field(default_factory=lambda: {"event": 1.0, "magnitude": 0.1, "location": 1.0})
    threads: int | None = None
    data_workers: int | None = None  # processes preprocessing the tiles once (None: one per CPU, <= 16)
    device: str = "cpu"  # cpu | cuda | auto (cuda when available); results do not depend on it beyond float noise
    keep_best: bool = True  # keep the epoch with the best validation score (early stopping on validation)
    hard_negative_weight: float = 0.0  # weight of the hardest-negative ranking term (compute_loss); 0: BCE only
    augment: bool = False  # interferometric input: random phase turn and flip/quarter turn per tile (models.augment)
    fringe_stem: bool = True  # interferometric QuakeLite: phase gradients in the stem (models.networks.phase_gradients)
    inject: int = 0  # interferometric input: composed training pairs per epoch (models.inject); 0: none

    def __post_init__(self) -> None:
        if self.model not in NETWORKS:
            raise ConfigError(f"unknown network {self.model!r}; choose one of {sorted(NETWORKS)}")
        if (self.task, self.input) not in PAPER_TASK:
            raise ConfigError(f"task {self.task!r} with input {self.input!r} is not supported; "
                             f"choose from {sorted(PAPER_TASK)}")
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0:
            raise ConfigError("epochs and batch size must be >= 1 and the learning rate > 0")
        if not (math.isfinite(self.hard_negative_weight) and self.hard_negative_weight >= 0):
            raise ConfigError(f"hard_negative_weight must be a finite number >= 0, got {self.hard_negative_weight}")
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r}; choose one of {list(DEVICES)}")
        if self.augment and self.input != "interferometric":
            raise ConfigError("augment applies to interferometric input only (the amplitude recipe is the paper's)")
        if isinstance(self.inject, bool) or not isinstance(self.inject, int) or self.inject < 0:
            raise ConfigError(f"inject must be a whole number of pairs >= 0, got {self.inject!r}")
        if self.inject and self.input != "interferometric":
            raise ConfigError("inject applies to interferometric input only (it composes same-track pairs)")

    @property
    def paper_task(self) -> Task:
        """The QuakeSet task whose samples this run trains on."""
        return Task(PAPER_TASK[(self.task, self.input)])

    def spec(self) -> NetSpec:
        """The network's input channels and heads."""
        return NetSpec(
            in_channels={"bitemporal": 4, "single": 2, "interferometric": len(INTERFEROMETRIC_CHANNELS)}[self.input],
            event=self.task in ("detect", "multi"),
            magnitude=self.task in ("magnitude", "multi"),
            # amplitude pairs: the damage centroid; same-track pairs: the surface projection of
            # the rupture's centroid (models/torch_data.py)
            location=self.task == "multi",
        )

    def preprocess(self) -> PreprocessConfig | InterferogramConfig:
        """The shared preprocessing with this network's multilook factor (the interferogram's
        looks for an interferometric input)."""
        if self.input == "interferometric":
            return InterferogramConfig(looks=self.downsample if self.downsample is not None else DEFAULT_LOOKS)
        factor = self.downsample if self.downsample is not None else DEFAULT_DOWNSAMPLE[self.model]
        return PreprocessConfig(downsample=factor)


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` (an error if torch sees no GPU) or ``auto``."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: torch sees no CUDA device here; use --device cpu or auto")
    return torch.device(name)


def conditional_magnitude(outputs: dict[str, torch.Tensor] | dict[str, np.ndarray]) -> bool:
    """True for a multi-head output: its magnitude is mb given an event (see the module doc)."""
    return "event" in outputs and "magnitude" in outputs


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a generator for the data loader's shuffling."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def cosine_with_warmup(total_steps: int, warmup_share: float) -> Any:
    """LR multiplier: linear from 0 over the warm-up, then cosine down to 0."""
    warmup = max(1, int(round(total_steps * warmup_share)))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


def hardest_negative_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Ranking loss aimed at the low false-alarm end of the ROC curve: for every event in the
    batch, ``softplus(max negative logit - event logit)``, averaged over the events.

    On board a detector runs at a threshold a handful of negatives per thousand exceed, so what
    matters is how events rank against the *highest-scoring* negatives, not against the
    average one (which binary cross-entropy weighs). Penalising each event against the
    batch's hardest negative is the one-sample-per-batch form of a partial-AUC surrogate
    (online hard-negative mining). Zero when the batch lacks either class.
    """
    events, negatives = labels > 0.5, labels <= 0.5
    if not events.any() or not negatives.any():
        return torch.zeros((), device=logits.device)
    hardest = logits[negatives].max()
    return nn.functional.softplus(hardest - logits[events]).mean()


def compute_loss(outputs: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
                 weights: dict[str, float], hard_negative_weight: float = 0.0) -> torch.Tensor:
    """Weighted sum of the losses of the heads the network has.

    A multi-head network's magnitude loss covers event samples only (conditional magnitude).
    With ``hard_negative_weight`` > 0 the event head also gets
    :func:`hardest_negative_loss` with that weight.
    """
    loss = torch.zeros((), device=next(iter(outputs.values())).device)
    if "event" in outputs:
        loss = loss + weights.get("event", 1.0) * nn.functional.binary_cross_entropy_with_logits(
            outputs["event"], targets["event"])
        if hard_negative_weight > 0:
            loss = loss + hard_negative_weight * hardest_negative_loss(outputs["event"], targets["event"])
    if "magnitude" in outputs:
        if conditional_magnitude(outputs):
            events = targets["event"] > 0.5
            if events.any():
                loss = loss + weights.get("magnitude", 1.0) * nn.functional.mse_loss(
                    outputs["magnitude"][events], targets["magnitude"][events])
        else:
            loss = loss + nn.functional.mse_loss(outputs["magnitude"], targets["magnitude"])
    if "location" in outputs:
        known = targets["has_location"]
        if known.any():
            loss = loss + weights.get("location", 1.0) * nn.functional.mse_loss(
                outputs["location"][known], targets["location"][known])
    return loss


@torch.no_grad()
def head_outputs(net: nn.Module, batches: Iterable[torch.Tensor]) -> dict[str, np.ndarray]:
    """Each head's raw outputs over input ``batches``, concatenated (event as probability);
    ``net`` in eval mode, batches moved to its device."""
    net.eval()
    device = next(net.parameters()).device
    collected: dict[str, list[np.ndarray]] = {}
    for x in batches:
        for name, value in net(x.to(device)).items():
            if name == "event":
                value = torch.sigmoid(value)
            collected.setdefault(name, []).append(value.float().cpu().numpy())
    return {name: np.concatenate(parts) for name, parts in collected.items()}


def predict(net: nn.Module, dataset: TorchQuakeSet, batch_size: int = 16) -> dict[str, np.ndarray]:
    """Run ``net`` over a dataset; returns each head's outputs (event as probability).

    For a multi-head network ``magnitude`` is the reported magnitude (the conditional
    magnitude where the event probability reaches :data:`EVENT_THRESHOLD`, else 0) and
    ``magnitude_given_event`` the head's raw output.
    """
    outputs = head_outputs(net, (x for x, _ in DataLoader(dataset, batch_size=batch_size, shuffle=False)))
    if conditional_magnitude(outputs):
        outputs["magnitude_given_event"] = outputs["magnitude"]
        outputs["magnitude"] = np.where(outputs["event"] >= EVENT_THRESHOLD, outputs["magnitude"], 0.0)
    return outputs


def validation_score(outputs: dict[str, np.ndarray], labels: np.ndarray, magnitudes: np.ndarray,
                     identical: np.ndarray) -> float | None:
    """What early stopping maximises: the event head's ROC AUC on the validation pairs that are
    not pixel-identical (the onboard question: rank events above changed negatives), else,
    for a magnitude-only network, minus its MAE on the validation events. None when the split
    cannot score it (one class only, no events)."""
    from sklearn.metrics import roc_auc_score

    if "event" in outputs:
        hard = ~identical
        if len(set(labels[hard].tolist())) < 2:
            return None
        return float(roc_auc_score(labels[hard], outputs["event"][hard]))
    events = labels == 1
    if not events.any():
        return None
    return -float(np.mean(np.abs(outputs["magnitude"][events] - magnitudes[events])))


def train(data: str | Path, out: str | Path, config: TrainConfig, progress: bool = True,
          shared_cache: dict | None = None) -> dict[str, Any]:
    """Train a network on ``data`` (train split; validation split for early stopping and the
    reported metrics).

    With ``config.keep_best`` the network is scored on validation after every epoch
    (:func:`validation_score`) and the best epoch's weights are the ones kept; nothing is
    chosen on test.

    Args:
        data: an ``earthquakes.h5``.
        out: the model folder to write.
        config: the run's options.
        progress: show progress bars.
        shared_cache: a dict kept between calls to reuse preprocessed tensors
            (:class:`~quakesat.models.torch_data.TorchQuakeSet`'s ``shared``).

    Returns:
        The written ``config.json`` content.

    Raises:
        ConfigError: no training samples for the task, or invalid options.
    """
    from tqdm import tqdm

    from quakesat.evaluation.metrics import detection_report, magnitude_report

    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    generator = seed_everything(config.seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with QuakeSetFile(data) as qs:
        preprocess = config.preprocess()
        train_set = TorchQuakeSet(qs, config.paper_task, "train", preprocess, shared=shared_cache)
        val_set = TorchQuakeSet(qs, config.paper_task, "validation", preprocess, shared=shared_cache)
        if len(train_set) == 0:
            if config.input == "interferometric":
                raise ConfigError(f"{data}: no same-track pairs to train an interferometric network on "
                                  "(simulate the file with `quakesat simulate --slc`)")
            raise ConfigError(f"{data}: no training samples for task {int(config.paper_task)}")
        train_set.preload(config.data_workers)
        val_set.preload(config.data_workers)
        net = build_network(config.model, config.spec(), config.fringe_stem)
        magnitude_head = getattr(getattr(net, "heads", None), "magnitude", None)
        if magnitude_head is not None:
            # Start the regressor at the mean target instead of 0, so the few epochs of the
            # paper's schedule go to learning, not to finding the offset. The target is mb
            # over event samples for a conditional head, else over all (negatives count 0).
            spec = config.spec()
            events_only = spec.event and spec.magnitude
            targets = [r.magnitude for r in train_set.refs if r.label == 1 or not events_only]
            with torch.no_grad():
                magnitude_head.bias.fill_(float(np.mean(targets)) if targets else 0.0)
        net = net.to(device)
        # A last batch of one sample cannot train batch norm (and at 1 x 1 feature maps torch
        # refuses it): drop it; it is another sample in the next epoch's shuffle.
        lone_last = len(train_set) % config.batch_size == 1 and len(train_set) > config.batch_size
        loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=True, generator=generator,
                            drop_last=lone_last)
        optimiser = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        total = config.epochs * len(loader)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, cosine_with_warmup(total, config.warmup_share))
        history = []
        val_labels = np.array([r.label for r in val_set.refs])
        val_magnitudes = np.array([r.magnitude for r in val_set.refs])
        val_identical = val_set.identical() if len(val_set) else np.zeros(0, dtype=bool)
        best: tuple[float, int, dict[str, torch.Tensor]] | None = None
        try:
            injector = SignalInjector(train_set, preprocess.looks) if config.inject else None
        except ValueError as err:
            raise ConfigError(f"{data}: --inject {config.inject}: {err}") from None
        for epoch in range(config.epochs):
            net.train()
            running, seen = 0.0, 0
            bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch", disable=not progress)
            composed = iter(()) if injector is None else iter(DataLoader(
                injector.draw(config.inject, generator), batch_size=math.ceil(config.inject / len(loader))))
            for x, batch_targets in bar:
                extra = next(composed, None)
                if extra is not None:  # composed pairs ride along with every real batch (models.inject)
                    extra_x, extra_targets = as_targets(extra)
                    x = torch.cat([x, extra_x])
                    batch_targets = {name: torch.cat([value, extra_targets[name]])
                                     for name, value in batch_targets.items()}
                if config.augment:
                    x, batch_targets = augment_interferograms(x, batch_targets, generator)
                x = x.to(device, non_blocking=True)
                batch_targets = {name: value.to(device, non_blocking=True) for name, value in batch_targets.items()}
                optimiser.zero_grad()
                loss = compute_loss(net(x), batch_targets, config.loss_weights, config.hard_negative_weight)
                loss.backward()
                optimiser.step()
                schedule.step()
                running += float(loss.detach()) * len(x)
                seen += len(x)
                bar.set_postfix(loss=f"{running / seen:.4f}")
            record: dict[str, Any] = {"epoch": epoch + 1, "train_loss": round(running / seen, 6)}
            if config.keep_best and len(val_set):
                score = validation_score(predict(net, val_set), val_labels, val_magnitudes, val_identical)
                record["validation_score"] = None if score is None else round(score, 6)
                if score is not None and (best is None or score > best[0]):
                    best = (score, epoch + 1, copy.deepcopy(net.state_dict()))
            history.append(record)
        if best is not None:
            net.load_state_dict(best[2])
        metrics: dict[str, Any] = {}
        if len(val_set):
            outputs = predict(net, val_set)
            labels, magnitudes = val_labels, val_magnitudes
            if "event" in outputs:
                metrics["detection"] = detection_report(labels, (outputs["event"] >= EVENT_THRESHOLD).astype(int))
            if "magnitude" in outputs:
                metrics["magnitude"] = magnitude_report(labels, magnitudes, outputs["magnitude"])
        input_shape = train_set.input_shape()
        summary = {
            "quakesat_version": __version__,
            "family": "cnn",
            "train": asdict(config),
            "paper_task": int(config.paper_task),
            "net_spec": asdict(config.spec()),
            "input_shape": list(input_shape),
            "preprocess": preprocess.to_dict(),
            "data": {"file": str(data), "train_samples": len(train_set), "validation_samples": len(val_set),
                     **({} if injector is None else {"injection": {"fields": injector.fields,
                                                                   "noise_pairs": injector.noise_pairs,
                                                                   "pairs_per_epoch": config.inject}})},
            "history": history,
            "selected_epoch": best[1] if best is not None else config.epochs,
            "selection": ("best validation score (event ROC AUC on non-identical pairs, or -MAE on events)"
                          if best is not None else "last epoch"),
            "validation": metrics,
            "magnitude_given_event": bool(config.spec().event and config.spec().magnitude),
            "device": str(device),
            "seconds": round(time.perf_counter() - started, 1),
        }
    with atomic_output(out / "model.pt") as partial:
        torch.save({name: value.cpu() for name, value in net.state_dict().items()}, partial)
    write_model_config(out, summary)
    return summary


def paper_task_of(task: str, input_kind: str) -> Task:
    """The QuakeSet task number that ``--task`` and ``--input`` select.

    Raises:
        ConfigError: a combination with no paper task (e.g. multi-head on a single image).
    """
    try:
        return Task(PAPER_TASK[(task, input_kind)])
    except KeyError:
        raise ConfigError(f"task {task!r} with input {input_kind!r} is not supported; "
                          f"choose from {sorted(PAPER_TASK)}") from None


def load_network(model_dir: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a trained network from its folder, in eval mode.

    Raises:
        ModelNotFoundError: no ``config.json`` / ``model.pt`` there.
        ConfigError: the weights are not those of the network this version builds.
    """
    model_dir = Path(model_dir)
    if not (model_dir / CONFIG_NAME).exists() or not (model_dir / "model.pt").exists():
        raise ModelNotFoundError(f"{model_dir}: no trained network (config.json + model.pt); "
                                 "make one with `quakesat train --out DIR`")
    typed = read_model_config(model_dir)
    if typed.family != "cnn" or typed.net_spec is None:
        raise ConfigError(f"{model_dir}: a {typed.family} model, not a network; its folder is read by its own family")
    config = typed.values
    # a folder trained before the fringe stem existed has no "fringe_stem": it had none
    net = build_network(typed.name, NetSpec(**typed.net_spec), bool(config["train"].get("fringe_stem", False)))
    try:
        net.load_state_dict(torch.load(model_dir / "model.pt", weights_only=True, map_location="cpu"))
    except RuntimeError as err:  # weights of another architecture (a folder from another quakesat version)
        first = str(err).strip().splitlines()[-1].strip()
        raise ConfigError(f"{model_dir}: its weights do not fit the {config['train']['model']} this quakesat builds "
                          f"({first}); retrain it with `quakesat train`") from None
    return net.eval(), config
