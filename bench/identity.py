"""Identity: what a copied PIN hash costs an attacker per guess."""
from __future__ import annotations

import os

from bench.core import Context, Goal, Result, benchmark, interleave, result


@benchmark("pin_guess")
def pin_guess(ctx: Context) -> Result:
    """One offline PIN guess at the default cost (the one stored with every new hash) against the cost
    before issue 17 (N=2**14). Here a higher ratio is the point: the goal is an absolute floor."""
    from store import pins

    os.environ.pop("ARENA_SCRYPT_N", None)
    stored = pins.hash_pin("246801")
    assert stored.split("$")[1] == str(pins.SCRYPT_N)
    old = "scrypt$16384$8$1$" + stored.split("$", 4)[4]
    a, b = interleave(lambda: pins.pin_matches("135790", stored), lambda: pins.pin_matches("135790", old),
                      ctx.runs)
    return result("pin_guess", a, b, "s per guess (vs N=2**14)", Goal(">= 0.25 s", least=0.25))
