"""Shared helpers for the momentum-oracle framework-arithmetic experiments.

Only numpy + ml_dtypes.  Everything here is deterministic.

* exact fused multiply-add for float32 operands (`fma32`) in pure numpy,
  via an exact float64 product, TwoSum and round-to-odd (Boldo-Melquiond:
  a round-to-odd result with >= p+2 bits, rounded again to p bits, equals
  the correctly rounded result);
* exact fused multiply-add for float64 operands (`fma64`) via Fractions;
* storage rounding helpers for bf16 / f16 / f32 / f64;
* test data generation mixing ordinary values, sign flips, zeros, values
  near the subnormal range and values near overflow of a format;
* bit comparison that treats all NaNs as equal.
"""
from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np

F32 = np.float32
F64 = np.float64
BF16 = ml_dtypes.bfloat16
F16 = np.float16

DTYPES = {"float32": F32, "bfloat16": BF16, "float16": F16, "float64": F64}


def finfo(dt):
    if dt is BF16:
        return ml_dtypes.finfo(BF16)
    return np.finfo(dt)


# ---------------------------------------------------------------- rounding
def to_storage(x, dt):
    """Round an f32 (or f64) array to storage dtype `dt` (RNE) and return
    the value widened back to f32 (f64 stays f64)."""
    if dt is F64:
        return np.asarray(x, F64)
    x = np.asarray(x, F32)
    if dt is F32:
        return x
    return x.astype(dt).astype(F32)


def const_to(v: float, dt):
    """C++ `scalar_t(double)` / `Scalar::to<scalar_t>()`: for bf16/f16 the
    double goes through float first (c10::BFloat16/Half take a float)."""
    if dt is F64:
        return F64(v)
    f = F32(v)
    if dt is F32:
        return f
    return F32(np.array(f, F32).astype(dt).astype(F32))


# ---------------------------------------------------------------- fma
def fma32(a, b, c):
    """Correctly rounded float32 fma(a, b, c) = round32(a*b + c)."""
    a = np.asarray(a, F32)
    b = np.asarray(b, F32)
    c = np.asarray(c, F32)
    a, b, c = np.broadcast_arrays(a, b, c)
    p = a.astype(F64) * b.astype(F64)  # exact: 24+24 bits < 53
    c64 = c.astype(F64)
    with np.errstate(invalid="ignore", over="ignore"):
        s = p + c64
        bb = s - p
        e = (p - (s - bb)) + (c64 - bb)  # TwoSum error, exact
        fin = np.isfinite(s) & np.isfinite(e)
        inexact = fin & (e != 0)
        # round to odd: of the two f64 neighbours of the exact value pick
        # the one with an odd significand
        other = np.nextafter(s, np.where(e > 0, np.inf, -np.inf))
        s_odd = (s.view(np.int64) & 1) == 1
        r = np.where(inexact & ~s_odd, other, s)
    with np.errstate(over="ignore"):
        return r.astype(F32)


def _fma64_scalar(a, b, c):
    a, b, c = float(a), float(b), float(c)
    if not (np.isfinite(a) and np.isfinite(b) and np.isfinite(c)):
        return a * b + c
    ex = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        r = float(ex)  # Fraction -> float is correctly rounded (RNE)
    except OverflowError:
        r = np.inf if ex > 0 else -np.inf
    if r == 0.0:
        # sign of an exact zero sum follows IEEE rules: +0 unless both -0
        prod = a * b
        if ex == 0 and not (np.signbit(prod) and np.signbit(c)):
            return 0.0
        if ex == 0:
            return -0.0
        return np.copysign(0.0, float(ex.numerator))
    return r


_fma64_vec = np.vectorize(_fma64_scalar, otypes=[F64])


def fma64(a, b, c):
    return _fma64_vec(np.asarray(a, F64), np.asarray(b, F64), np.asarray(c, F64))


def fma(a, b, c, dt):
    return fma64(a, b, c) if dt is F64 else fma32(a, b, c)


def mul(a, b, dt):
    """one rounded multiply in the opmath type (f64 for f64, else f32)"""
    if dt is F64:
        return np.asarray(a, F64) * np.asarray(b, F64)
    with np.errstate(over="ignore"):
        return (np.asarray(a, F32) * np.asarray(b, F32)).astype(F32)


def add(a, b, dt):
    if dt is F64:
        return np.asarray(a, F64) + np.asarray(b, F64)
    with np.errstate(over="ignore", invalid="ignore"):
        return (np.asarray(a, F32) + np.asarray(b, F32)).astype(F32)


# ---------------------------------------------------------------- data
def make_data(dt, n=4096, steps=10, seed=0, overflow_scale=0.12):
    """Return (theta0, grads[steps, n]) as arrays of storage dtype `dt`.

    Per-element categories (fixed over the steps):
      0 ordinary N(0,1) gradient, fresh each step
      1 sign-alternating gradient g * (-1)^t
      2 gradient exactly zero at every other step (and +-0 mixes)
      3 near-subnormal magnitudes: tiny * 2^U(-12, 3)
      4 near-overflow magnitudes: max * U(0.001, overflow_scale)
    Parameters mix ordinary, near-subnormal and large values as well.
    """
    rng = np.random.default_rng(seed)
    fi = finfo(dt)
    tiny, big = float(fi.tiny), float(fi.max)
    cat = rng.choice(5, size=n, p=[0.45, 0.15, 0.1, 0.2, 0.1])

    def sgn(k):
        return np.where(rng.random(k) < 0.5, -1.0, 1.0)

    # parameters
    pcat = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    theta = rng.standard_normal(n)
    m = pcat == 1
    theta[m] = sgn(m.sum()) * tiny * np.exp2(rng.uniform(-12, 3, m.sum()))
    m = pcat == 2
    theta[m] = sgn(m.sum()) * big * rng.uniform(0.001, 0.2, m.sum())

    base = rng.standard_normal(n)
    grads = np.empty((steps, n))
    for t in range(steps):
        g = rng.standard_normal(n)
        g = np.where(cat == 1, base * (-1.0) ** t, g)
        g = np.where(cat == 2, np.where(t % 2 == 0, 0.0, g), g)
        sub = sgn(n) * tiny * np.exp2(rng.uniform(-12, 3, n))
        g = np.where(cat == 3, sub, g)
        ov = sgn(n) * big * rng.uniform(0.001, overflow_scale, n)
        g = np.where(cat == 4, ov, g)
        grads[t] = g
    # a few negative zeros
    grads[:, ::97] = -0.0
    with np.errstate(over="ignore"):
        return theta.astype(F32).astype(dt) if dt is not F64 else theta, (
            grads.astype(F32).astype(dt) if dt is not F64 else grads
        )


# ---------------------------------------------------------------- compare
def bits(x, dt):
    x = np.asarray(x)
    if dt is F64:
        return x.astype(F64).view(np.uint64)
    if dt is F32:
        return x.astype(F32).view(np.uint32)
    return x.astype(F32).astype(dt).view(np.uint16)


def mismatches(a, b, dt):
    """number of elements whose bit patterns differ (all NaNs equal)."""
    a = np.asarray(a)
    b = np.asarray(b)
    na = np.isnan(a.astype(F64))
    nb = np.isnan(b.astype(F64))
    diff = bits(a, dt) != bits(b, dt)
    diff &= ~(na & nb)
    return int(diff.sum())


def fmt_table(rows, headers):
    w = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = " | ".join(str(h).ljust(w[i]) for i, h in enumerate(headers))
    out = [line, "-+-".join("-" * x for x in w)]
    for r in rows:
        out.append(" | ".join(str(r[i]).ljust(w[i]) for i in range(len(headers))))
    return "\n".join(out)


# ---------------------------------------------------------------- op sets
class Ops:
    """Elementwise IEEE ops in `dt` (float32 or float64), each correctly
    rounded; with ftz=True inputs are treated as zero when subnormal (DAZ)
    and subnormal results are flushed to signed zero (FTZ)."""

    def __init__(self, dt, ftz=False):
        self.dt = dt
        self.ftz = ftz
        self.tiny = np.finfo(dt).tiny

    def _f(self, x):
        x = np.asarray(x, self.dt)
        if not self.ftz:
            return x
        return np.where(np.abs(x) < self.tiny, np.copysign(self.dt(0), x), x).astype(self.dt)

    def c(self, v):
        return self.dt(v)

    def mul(self, a, b):
        with np.errstate(over="ignore", invalid="ignore"):
            return self._f(self._f(a) * self._f(b))

    def add(self, a, b):
        with np.errstate(over="ignore", invalid="ignore"):
            return self._f(self._f(a) + self._f(b))

    def sub(self, a, b):
        with np.errstate(over="ignore", invalid="ignore"):
            return self._f(self._f(a) - self._f(b))

    def fma(self, a, b, c):
        return self._f(fma(self._f(a), self._f(b), self._f(c), self.dt))
