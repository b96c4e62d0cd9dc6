"""``nigiri.random``: seeded Philox4x32-10 generators, the same stream on every backend."""

from .arrays.random import (Generator, bernoulli, default_rng, integers, normal,
                            permutation, random, seed, uniform)

__all__ = ["Generator", "default_rng", "seed", "normal", "uniform", "integers",
           "permutation", "bernoulli", "random"]
