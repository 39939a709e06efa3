"""The exploration on a local Dask cluster: identical results, and a killed worker changes nothing."""

from __future__ import annotations

import os
import signal

import pytest

pytest.importorskip("distributed", reason="the Dask back end needs the optional extra 'distributed'")

from conftest import ROOT  # noqa: E402
from maestroc.diagnostics import Diagnostics  # noqa: E402
from maestroc.dse_pools import DaskPool  # noqa: E402
from maestroc.dse_run import explore, run_task  # noqa: E402
from maestroc.frontend import load_mapping  # noqa: E402
from maestroc.hardware import HardwareSpec  # noqa: E402
from maestroc.space import load_space  # noqa: E402

TINY = str(ROOT / "samples/networks/tiny_cnn.m")
VGG = str(ROOT / "samples/networks/vgg16_conv2_tiled.m")
SPACES = [
    (TINY, ["num_pes=64:512:64", "noc_bw=8,32,128", "offchip_bw=16,64", "KTile=8,16"], ["runtime", "energy"]),
    (TINY, ["num_pes=64,256,1024", "noc_latency=0,1,2", "l1_size=pow2:32:1024", "l2_size=pow2:1024:65536"],
     ["throughput", "energy", "area"]),
    (VGG, ["num_pes=16:256:16", "noc_bw=8:64:8", "CTile=4:16:4"], ["edp", "power"]),
]


@pytest.fixture(scope="module")
def pool():
    dask_pool = DaskPool(run_task, workers=2)
    yield dask_pool
    dask_pool.close()


def summary(result) -> tuple:
    return result.explored, result.valid, result.front


@pytest.mark.parametrize("path, assignments, objectives", SPACES)
def test_dask_matches_a_single_process(path: str, assignments: list[str], objectives: list[str], pool) -> None:
    tree = load_mapping(path, Diagnostics())
    space = load_space(None, assignments, objectives, HardwareSpec())
    alone = explore(path, tree, space)
    on_dask = explore(path, tree, space, pool=pool)
    in_chunks = explore(path, tree, space, pool=pool, chunk=5)
    assert summary(on_dask) == summary(alone) == summary(in_chunks)
    assert alone.front


def test_a_killed_worker_changes_nothing(pool) -> None:
    path, assignments, objectives = SPACES[2]
    tree = load_mapping(path, Diagnostics())
    space = load_space(None, assignments, objectives, HardwareSpec())
    killed: list[int] = []

    def kill_one_worker(progress) -> None:
        if not killed:
            pids = sorted(pool.client.run(os.getpid).values())
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    on_dask = explore(path, tree, space, pool=pool, progress=kill_one_worker)
    assert killed
    assert summary(on_dask) == summary(explore(path, tree, space))
