"""An independent MRG32k3a (shared_tests/README.md section 12) in exact integer arithmetic, used by the
harness to derive and self-check the rng cases (never used to produce reference cases)."""
from __future__ import annotations

import math

M1, M2 = 4294967087, 4294944443
A12, A13N, A21, A23N = 1403580, 810728, 527612, 1370589
NORM = 2.328306549295727688e-10


class MRG32k3a:
    def __init__(self, seed: int) -> None:
        if not 0 <= seed < 2 ** 31:
            raise ValueError("seed outside 0 <= seed < 2^31")
        self.s1 = [12345 + seed] * 3
        self.s2 = [12345 + seed] * 3
        for _ in range(8):
            self.next()

    def next(self) -> float:
        p1 = (A12 * self.s1[1] - A13N * self.s1[0]) % M1
        self.s1 = [self.s1[1], self.s1[2], p1]
        p2 = (A21 * self.s2[2] - A23N * self.s2[0]) % M2
        self.s2 = [self.s2[1], self.s2[2], p2]
        return float(p1 - p2 + (M1 if p1 <= p2 else 0)) * NORM

    def uniform(self, n: int) -> list[float]:
        return [self.next() for _ in range(n)]

    def normal(self, n: int) -> list[float]:
        out: list[float] = []
        while len(out) < n:
            u1, u2 = self.next(), self.next()
            r = math.sqrt(-2.0 * math.log(u1))
            out += [r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)]
        return out[:n]

    def permutation(self, n: int) -> list[int]:
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = math.floor(self.next() * (i + 1))
            p[i], p[j] = p[j], p[i]
        return p

    def choice(self, n: int, size: int) -> list[int]:
        return [math.floor(self.next() * n) for _ in range(size)]
