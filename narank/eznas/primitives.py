"""EZNAS primitives: safe numpy operations on a block's statistic tensors, typed for DEAP's GP.

Values have four types: the block's input-side tensors (`In`: activations and gradients at the
block input, [B, Cin, H, W]), its output-side tensors (`Out`: conv output and block output,
[B, Cout, H', W']), weights (`W`: the conv weight and its gradients) and scalars (`float`).
Element-wise operations keep a type, reductions map a tensor type to a scalar, so every tree that
DEAP builds is well-shaped. Numerics cannot escape: division, logarithms, exponentials and the
log-determinant are guarded; a non-finite value that still occurs becomes NaN, and the evolution
gives such a program the worst fitness and counts it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from narank.eznas.stats import KIND, TENSORS

EPS = 1e-8
LOGDET_RIDGE = 1e-6
LOGDET_FLOOR = -1000.0
EXP_CLIP = 30.0


class In:
    """Type tag: block-input-side tensors (activation and gradient at the ReLU input)."""


class Out:
    """Type tag: block-output-side tensors (conv output, block output, their gradients)."""


class W:
    """Type tag: the conv weight and its gradients."""


TYPES = {"in": In, "out": Out, "w": W}


def rows(x: np.ndarray) -> np.ndarray:
    """A tensor as a matrix: its first dimension (batch, or output channels) by everything else."""
    x = np.asarray(x)
    return x.reshape(x.shape[0], -1) if x.ndim > 1 else x.reshape(1, -1)


# ----------------------------------------------------------------------- element-wise, unary


def p_abs(x):
    return np.abs(x)


def p_neg(x):
    return -x


def p_sign(x):
    return np.sign(x)


def p_relu(x):
    return np.maximum(x, 0)


def p_square(x):
    return np.square(x)


def p_sqrt(x):
    return np.sqrt(np.abs(x))


def p_log(x):
    return np.log(np.abs(x) + EPS)


def p_exp(x):
    return np.exp(np.clip(x, -EXP_CLIP, EXP_CLIP))


def p_inv(x):
    return 1.0 / _nonzero(x)


def p_sigmoid(x):
    """Logistic function, computed without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def p_softmax(x):
    """Softmax over each row (everything but the first dimension)."""
    m = rows(x).astype(np.float64)
    e = np.exp(m - m.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(np.shape(x))


def p_normalize(x):
    """(x - mean) / std over the whole tensor (0 where the tensor is constant)."""
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / (x.std() + EPS)


def _nonzero(y):
    y = np.asarray(y, dtype=np.float64)
    return np.where(np.abs(y) < EPS, np.where(y < 0, -EPS, EPS), y)


# ----------------------------------------------------------------------- element-wise, binary


def p_add(x, y):
    return x + y


def p_sub(x, y):
    return x - y


def p_mul(x, y):
    return x * y


def p_div(x, y):
    return x / _nonzero(y)


def p_max(x, y):
    return np.maximum(x, y)


def p_min(x, y):
    return np.minimum(x, y)


def p_greater(x, y):
    return (np.asarray(x) > np.asarray(y)).astype(np.float32)


def p_less(x, y):
    return (np.asarray(x) < np.asarray(y)).astype(np.float32)


# ----------------------------------------------------------------------- reductions -> scalar


def r_mean(x) -> float:
    return float(np.mean(x))


def r_sum(x) -> float:
    return float(np.sum(x, dtype=np.float64))


def r_std(x) -> float:
    return float(np.std(x))


def r_frobenius(x) -> float:
    return float(np.sqrt(np.sum(np.square(x, dtype=np.float64))))


def p_logdet(x):
    """log |det| of every matrix in the last two (square) dimensions, kept as [..., 1, 1].

    An activation [B, C, H, W] gives one value per sample and channel (its H x W map), a weight
    one per kernel; this is what `torch.logdet` does on a 4-D tensor, with |det| so a negative
    determinant is not NaN. A singular matrix gets LOGDET_FLOOR instead of -inf.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2:
        return np.maximum(np.log(np.abs(x)), LOGDET_FLOOR)
    if x.shape[-1] != x.shape[-2]:
        x = x.reshape(*x.shape[:-2], 1, -1)
        x = x @ np.swapaxes(x, -1, -2)  # a non-square map: its Gram matrix
    _, value = np.linalg.slogdet(x)
    return np.maximum(value, LOGDET_FLOOR)[..., None, None]


def r_kernel_logdet(x) -> float:
    """log det(M M^T / columns + 1e-6 I), M = the tensor's rows (NASWOT's kernel of a tensor).

    For a batch tensor this compares the B samples; the ridge keeps singular kernels finite.
    """
    m = rows(x).astype(np.float64)
    k = m @ m.T / m.shape[1] + LOGDET_RIDGE * np.eye(m.shape[0])
    sign, value = np.linalg.slogdet(k)
    return float(value) if sign > 0 else float("nan")


def r_cosine(x, y) -> float:
    """Cosine similarity of two tensors of one type (0 when either is all zeros)."""
    a = np.ravel(x).astype(np.float64)
    b = np.ravel(y).astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + EPS))


# ----------------------------------------------------------------------- scalar operations


def s_frobenius(x: float) -> float:
    return abs(x)  # the norm of a 1x1 tensor


UNARY: dict[str, Callable] = {
    "abs": p_abs,
    "neg": p_neg,
    "sign": p_sign,
    "relu": p_relu,
    "square": p_square,
    "sqrt": p_sqrt,
    "log": p_log,
    "exp": p_exp,
    "inv": p_inv,
    "sigmoid": p_sigmoid,
    "softmax": p_softmax,
    "normalize": p_normalize,
    "logdet": p_logdet,
}
BINARY: dict[str, Callable] = {
    "add": p_add,
    "sub": p_sub,
    "mul": p_mul,
    "div": p_div,
    "max": p_max,
    "min": p_min,
    "greater": p_greater,
    "less": p_less,
}
REDUCE: dict[str, Callable] = {
    "mean": r_mean,
    "sum": r_sum,
    "std": r_std,
    "frobenius": r_frobenius,
    "kernel_logdet": r_kernel_logdet,
}
SCALAR_UNARY: dict[str, Callable] = {
    "abs": abs,
    "neg": lambda x: -x,
    "sign": lambda x: float(np.sign(x)),
    "sigmoid": lambda x: float(p_sigmoid(x)),
    "log": lambda x: float(p_log(x)),
    "exp": lambda x: float(p_exp(x)),
    "sqrt": lambda x: float(p_sqrt(x)),
    "square": lambda x: x * x,
    "inv": lambda x: float(p_inv(x)),
    "frobenius": s_frobenius,
}
SCALAR_BINARY: dict[str, Callable] = {
    "add": p_add,
    "sub": p_sub,
    "mul": p_mul,
    "div": lambda x, y: float(p_div(x, y)),
    "max": max,
    "min": min,
}
OPERATIONS = sorted(
    set(UNARY) | set(BINARY) | set(REDUCE) | {"cosine"} | set(SCALAR_UNARY) | set(SCALAR_BINARY)
)


def build_pset():
    """The DEAP strongly-typed primitive set: leaves are the 22 tensors of a block, root a float.

    Primitive names carry their type (`sign_in`, `logdet_in`, `sigmoid_s`), so a formula reads as
    what it computes and parses back unambiguously.
    """
    from deap import gp

    pset = gp.PrimitiveSetTyped("eznas", [TYPES[KIND[name]] for name in TENSORS], float)
    pset.renameArguments(**{f"ARG{i}": name for i, name in enumerate(TENSORS)})
    for suffix, t in TYPES.items():
        for name, fn in UNARY.items():
            pset.addPrimitive(fn, [t], t, name=f"{name}_{suffix}")
        for name, fn in BINARY.items():
            pset.addPrimitive(fn, [t, t], t, name=f"{name}_{suffix}")
        for name, fn in REDUCE.items():
            pset.addPrimitive(fn, [t], float, name=f"{name}_{suffix}")
        pset.addPrimitive(r_cosine, [t, t], float, name=f"cosine_{suffix}")
    for name, fn in SCALAR_UNARY.items():
        pset.addPrimitive(fn, [float], float, name=f"{name}_s")
    for name, fn in SCALAR_BINARY.items():
        pset.addPrimitive(fn, [float, float], float, name=f"{name}_s")
    pset.addTerminal(1.0, float, name="one")
    return pset


def namespace() -> dict[str, Callable | float]:
    """name -> function (or constant) of every primitive, for evaluating a formula."""
    names: dict[str, Callable | float] = {"one": 1.0}
    for suffix in TYPES:
        names.update({f"{n}_{suffix}": f for n, f in UNARY.items()})
        names.update({f"{n}_{suffix}": f for n, f in BINARY.items()})
        names.update({f"{n}_{suffix}": f for n, f in REDUCE.items()})
        names[f"cosine_{suffix}"] = r_cosine
    names.update({f"{n}_s": f for n, f in SCALAR_UNARY.items()})
    names.update({f"{n}_s": f for n, f in SCALAR_BINARY.items()})
    return names
