"""The shared generator against published MRG32k3a values and its own contract."""

import math

import numpy as np
import pytest

from dlscratch.rng import MRG32k3a

# L'Ecuyer's RngStream default state (all six words 12345) — the state of seed 0 before the
# 8 discarded draws — published first outputs and its 1000th.
PUBLISHED_FIRST = [0.12701112204657714, 0.3185275653967945, 0.3091860155832701, 0.8258468629271136, 0.2216299157820229]
PUBLISHED_1000TH = 0.98607848680213228


def test_seed_zero_continues_the_published_sequence():
    u = MRG32k3a(0).uniform(992)
    # seed 0 discards the first 8 of the published sequence
    assert u[991] == PUBLISHED_1000TH


def test_published_first_outputs_with_discard_undone():
    g = MRG32k3a.__new__(MRG32k3a)
    g._s1 = [12345] * 3
    g._s2 = [12345] * 3
    assert [g.next_uniform() for _ in range(5)] == PUBLISHED_FIRST


def test_same_seed_same_stream_and_seeds_differ():
    assert MRG32k3a(7).uniform(50).tolist() == MRG32k3a(7).uniform(50).tolist()
    assert MRG32k3a(7).uniform(5).tolist() != MRG32k3a(8).uniform(5).tolist()


def test_uniforms_in_open_unit_interval_with_mean_half():
    u = MRG32k3a(3).uniform(20000)
    assert u.min() > 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01


def test_normal_is_box_muller_of_the_uniforms():
    u = MRG32k3a(5).uniform(4)
    z = MRG32k3a(5).normal(4)
    r = math.sqrt(-2 * math.log(u[0]))
    assert z[0] == r * math.cos(2 * math.pi * u[1])
    assert z[1] == r * math.sin(2 * math.pi * u[1])
    assert MRG32k3a(5).normal(3).tolist() == z[:3].tolist()  # an odd n drops the last


def test_normal_moments():
    z = MRG32k3a(11).normal(20000)
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


def test_permutation_is_fisher_yates_from_the_top():
    u = MRG32k3a(2).uniform(4)
    p = list(range(5))
    for k, i in enumerate(range(4, 0, -1)):
        j = math.floor(u[k] * (i + 1))
        p[i], p[j] = p[j], p[i]
    assert MRG32k3a(2).permutation(5).tolist() == p
    assert sorted(MRG32k3a(9).permutation(100).tolist()) == list(range(100))


def test_choice_is_floor_u_n():
    u = MRG32k3a(4).uniform(6)
    assert MRG32k3a(4).choice(10, 6).tolist() == [math.floor(v * 10) for v in u]


def test_randn_fills_row_major():
    assert MRG32k3a(1).randn(2, 3).reshape(-1).tolist() == MRG32k3a(1).normal(6).tolist()


@pytest.mark.parametrize("seed", [-1, 2**31])
def test_seed_out_of_range(seed):
    with pytest.raises(ValueError):
        MRG32k3a(seed)
