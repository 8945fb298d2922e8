"""The shared random-number generator: MRG32k3a (L'Ecuyer 1999).

Every port of dlscratch implements this same generator, so that the same seed gives the same
weights, batches and dropout masks in Python, Ruby, Lua and Haskell. All intermediates are
integers below 2**53, so the uniforms are bit-identical everywhere.

    p1 = (a12·s1[1] − a13n·s1[0]) mod m1          s1 ← (s1[1], s1[2], p1)
    p2 = (a21·s2[2] − a23n·s2[0]) mod m2          s2 ← (s2[1], s2[2], p2)
    u  = (p1 − p2 + (m1 if p1 <= p2 else 0)) · 2.328306549295727688e-10
"""

from __future__ import annotations

import math
import numpy as np

# region: rng
M1 = 4294967087
M2 = 4294944443
A12 = 1403580
A13N = 810728
A21 = 527612
A23N = 1370589
NORM = 2.328306549295727688e-10
SEED_LIMIT = 2**31
DISCARD = 8
# endregion

__all__ = ["M1", "M2", "MRG32k3a", "SEED_LIMIT"]


# region: rng
class MRG32k3a:
    """MRG32k3a with the project's seeding: all six state words = 12345 + seed, 8 outputs dropped."""

    def __init__(self, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an integer, not {type(seed).__name__}")
        if not 0 <= seed < SEED_LIMIT:
            raise ValueError(f"seed {seed} is outside 0 <= seed < 2^31")
        word = 12345 + int(seed)
        self._s1 = [word, word, word]
        self._s2 = [word, word, word]
        for _ in range(DISCARD):
            self.next_uniform()

    def state(self) -> dict[str, list[int]]:
        """The six state words (README section 8's checkpoint): {"s1": [...], "s2": [...]}."""
        return {"s1": list(self._s1), "s2": list(self._s2)}

    @classmethod
    def from_state(cls, state: dict[str, list[int]]) -> MRG32k3a:
        """The generator whose next output follows the state words of `state()`."""
        rng = cls.__new__(cls)
        rng._s1, rng._s2 = [int(w) for w in state["s1"]], [int(w) for w in state["s2"]]
        return rng

    def next_uniform(self) -> float:
        """One uniform in (0, 1)."""
        s1, s2 = self._s1, self._s2
        p1 = (A12 * s1[1] - A13N * s1[0]) % M1
        s1[0], s1[1], s1[2] = s1[1], s1[2], p1
        p2 = (A21 * s2[2] - A23N * s2[0]) % M2
        s2[0], s2[1], s2[2] = s2[1], s2[2], p2
        return (p1 - p2 + (M1 if p1 <= p2 else 0)) * NORM

    def draws(self, n: int) -> list[float]:
        """n successive uniforms: next_uniform's recurrence with the state in local variables."""
        (a0, a1, a2), (b0, b1, b2) = self._s1, self._s2
        out = [0.0] * n
        for i in range(n):
            p1 = (A12 * a1 - A13N * a0) % M1
            a0, a1, a2 = a1, a2, p1
            p2 = (A21 * b2 - A23N * b0) % M2
            b0, b1, b2 = b1, b2, p2
            out[i] = (p1 - p2 + (M1 if p1 <= p2 else 0)) * NORM
        self._s1, self._s2 = [a0, a1, a2], [b0, b1, b2]
        return out

    def uniform(self, n: int) -> np.ndarray:
        """n successive uniforms."""
        return np.array(self.draws(n), dtype=np.float64)

    def normal(self, n: int) -> np.ndarray:
        """n standard normals by Box–Muller on successive pairs (u1, u2):
        r = sqrt(−2 ln u1), emit r·cos(2π u2) then r·sin(2π u2); an odd n drops the last."""
        u = self.draws(n + n % 2)
        out = [0.0] * (n + n % 2)
        for i in range(0, n, 2):
            r = math.sqrt(-2.0 * math.log(u[i]))
            theta = 2.0 * math.pi * u[i + 1]
            out[i] = r * math.cos(theta)
            out[i + 1] = r * math.sin(theta)
        return np.array(out[:n], dtype=np.float64)

    def rand(self, *shape: int) -> np.ndarray:
        """Uniforms filling `shape` in row-major order."""
        return self.uniform(math.prod(shape)).reshape(shape)

    def randn(self, *shape: int) -> np.ndarray:
        """Standard normals filling `shape` in row-major order."""
        return self.normal(math.prod(shape)).reshape(shape)

    def permutation(self, n: int) -> np.ndarray:
        """Fisher–Yates from the top: for i = n−1 … 1, j = floor(u·(i+1)), swap i and j."""
        p = list(range(n))
        for i, u in zip(range(n - 1, 0, -1), self.draws(max(n - 1, 0))):
            j = int(u * (i + 1))
            p[i], p[j] = p[j], p[i]
        return np.array(p, dtype=np.int64)

    def choice(self, n: int, size: int) -> np.ndarray:
        """`size` draws from 0..n−1 with replacement: floor(u·n)."""
        return np.array([int(u * n) for u in self.draws(size)], dtype=np.int64)
# endregion
