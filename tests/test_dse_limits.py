"""The exploration's limits: blocks of bounded size change no result, budgets stop a run inside a group,
huge axes cost no memory, fronts are exact beyond 2^53, invalid designs are explained, a scheduler
that is not Dask fails fast, and worker processes never outlive the command."""

from __future__ import annotations

import json
import re
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT

from maestroc import dse_grid, exploration
from maestroc.diagnostics import Diagnostics
from maestroc.dse_run import explore
from maestroc.exploration import all_designs
from maestroc.frontend import load_mapping
from maestroc.hardware import HardwareSpec
from maestroc.space import load_space

TINY = str(ROOT / "samples/networks/tiny_cnn.m")
VGG = str(ROOT / "samples/networks/vgg16_conv2_tiled.m")
SWEEP = ["num_pes=64,128,256,512", "noc_bw=8,32,64,128", "offchip_bw=16,256", "noc_latency=0,2",
         "num_simd_lanes=1,2", "l1_size=64,512", "l2_size=2048,65536", "KTile=8,16"]


def tiny_space(objectives: list[str], extra: list[str] = (), constraints: dict | None = None):
    space = load_space(None, SWEEP + list(extra), objectives, HardwareSpec())
    space.constraints.update(constraints or {})
    return space


def summary(result) -> tuple:
    return result.explored, result.valid, result.removed, result.front


@pytest.mark.parametrize("objectives", [["runtime", "energy", "area"], ["throughput", "power"], ["edp", "area"]])
def test_tiny_blocks_change_nothing(monkeypatch, objectives: list[str]) -> None:
    """Blocks of 3 points give the counts and the front of one block per group."""
    tree = load_mapping(TINY, Diagnostics())
    space = tiny_space(objectives, constraints={"area": 1.3e9, "max_noc_bw_req": 300})
    whole = explore(TINY, tree, space)
    monkeypatch.setattr(exploration, "MAX_BLOCK_POINTS", 3)
    assert summary(explore(TINY, tree, space)) == summary(whole)
    assert whole.front and not whole.stopped_early


@pytest.mark.parametrize("search_above", [64, 1])
def test_invalid_designs_are_counted_by_first_failed_check(monkeypatch, search_above: int) -> None:
    """The counts by reason equal those of checking each design on its own, whether the (l1, l2) pairs
    within the budgets are checked one by one or found by binary search."""
    monkeypatch.setattr(dse_grid, "SEARCH_ABOVE", search_above)
    tree = load_mapping(TINY, Diagnostics())
    space = load_space(None, ["num_pes=8,64,256", "noc_bw=8,32,128", "offchip_bw=16,256", "l1_size=1:400:3",
                              "l2_size=pow2:64:262144", "KTile=8,16"], ["runtime", "energy"], HardwareSpec())
    space.constraints.update({"area": 2.0e6, "power": 900.0, "max_offchip_bw_req": 200})
    one_by_one = Counter(m["removed_by"] for _, m in all_designs(tree, space))
    result = explore(TINY, tree, space)
    assert result.valid == one_by_one.pop(None) > 0
    assert result.removed == dict(one_by_one)
    assert set(result.removed) == {"legality", "l1_fit", "l2_fit", "bandwidth", "area", "power"}


def test_design_budget_stops_inside_a_group(monkeypatch) -> None:
    """One group of 4 million runtime points, blocks of 1,000: the run stops after a block, with a front."""
    monkeypatch.setattr(exploration, "MAX_BLOCK_POINTS", 1000)
    tree = load_mapping(TINY, Diagnostics())
    space = load_space(None, ["num_pes=256", "noc_bw=1:2000", "offchip_bw=1:2000"], ["runtime", "energy"],
                       HardwareSpec())
    result = explore(TINY, tree, space, max_designs=2500)
    assert 2500 <= result.explored < 5000 and result.explored < space.size
    assert result.stopped_early == "2,500 designs reached"
    assert result.front and result.valid == result.explored
    design, metrics = result.front[0]
    assert (design["noc_bw"], design["offchip_bw"]) in {(1, x) for x in range(1, 2001)} | {(2, x) for x in range(1, 501)}
    check = load_space(None, ["num_pes=256", f"noc_bw={design['noc_bw']}", f"offchip_bw={design['offchip_bw']}"],
                       ["runtime", "energy"], HardwareSpec())
    assert next(all_designs(tree, check))[1]["runtime"] == metrics["runtime"]


@pytest.mark.parametrize("max_designs", [1, 1000, 4567])
def test_design_budget_bounds_the_blocks(max_designs: int) -> None:
    """With the default (memory-sized) blocks, --max-designs N explores at most about 2N designs of a
    4-million-design group, not a whole block of hundreds of thousands."""
    tree = load_mapping(TINY, Diagnostics())
    space = load_space(None, ["num_pes=256", "noc_bw=1:2000", "offchip_bw=1:2000"], ["runtime", "energy"],
                       HardwareSpec())
    result = explore(TINY, tree, space, max_designs=max_designs)
    assert max_designs <= result.explored < 2 * max_designs
    assert result.stopped_early == f"{max_designs:,} designs reached" and result.front


def test_time_budget_stops_inside_a_group(monkeypatch) -> None:
    """The deadline is checked between blocks: a group of 10^10 designs ends on its budget with a front."""
    monkeypatch.setattr(exploration, "MAX_BLOCK_POINTS", 5000)
    tree = load_mapping(TINY, Diagnostics())
    space = load_space(None, ["num_pes=256", "noc_bw=1:100000", "offchip_bw=1:100000"], ["runtime", "energy"],
                       HardwareSpec())
    result = explore(TINY, tree, space, time_budget=0.5)
    assert 0 < result.explored < space.size == 10**10
    assert result.stopped_early == "time budget of 0.5 s reached" and result.front


def test_time_budget_stops_counting_a_huge_l1_axis() -> None:
    """Pairs within an area budget over 10^10 l1 sizes: the deadline is checked between l1 chunks too."""
    tree = load_mapping(TINY, Diagnostics())
    space = load_space(None, ["num_pes=256", "noc_bw=64", "l1_size=1:10000000000", "l2_size=pow2:4096:65536"],
                       ["runtime", "energy"], HardwareSpec())
    space.constraints["area"] = 6e7
    result = explore(TINY, tree, space, time_budget=0.5)
    assert result.stopped_early == "time budget of 0.5 s reached" and result.explored == 0


def test_progress_inside_a_group(monkeypatch) -> None:
    """A single large group reports progress block by block, not only when it ends."""
    monkeypatch.setattr(exploration, "MAX_BLOCK_POINTS", 1000)
    tree = load_mapping(TINY, Diagnostics())
    space = load_space(None, ["num_pes=256", "noc_bw=1:100", "offchip_bw=1:100"], ["runtime", "energy"],
                       HardwareSpec())
    seen: list[int] = []
    result = explore(TINY, tree, space, progress=lambda r: seen.append(r.explored + r.in_progress))
    assert seen == [1000 * k for k in range(1, 11)] + [10_000] and result.explored == 10_000


def test_stopped_early_only_when_designs_are_left() -> None:
    tree = load_mapping(TINY, Diagnostics())
    space = tiny_space(["runtime", "energy"])
    assert explore(TINY, tree, space, max_designs=space.size).stopped_early is None
    assert explore(TINY, tree, space, time_budget=3600).stopped_early is None
    assert explore(TINY, tree, space, max_designs=1).stopped_early == "1 designs reached"


def test_huge_buffer_axes_are_never_listed(cli, tmp_path: Path) -> None:
    """l2_size over 10^10 values under an area budget: counted by binary search, written as a range."""
    out = tmp_path / "run"
    result = cli("dse", TINY, "--set", "num_pes=256", "--set", "noc_bw=64", "--set", "l1_size=pow2:64:1024", "--set",
                 "l2_size=1:10000000000", "--area-budget", "6e7", "--max-designs", "1", "-o", str(out))
    assert result.code == 0, result
    summary_json = json.loads((out / "summary.json").read_text())
    assert summary_json["space"]["hardware"]["l2_size"] == "1:10000000000:1"
    assert summary_json["designs_explored"] == 5 * 10**10 and summary_json["stopped_early"] is None
    assert summary_json["designs_valid"] > 0 and summary_json["designs_invalid_by"]["area"] > 0


def test_front_is_exact_beyond_2_to_the_53(cli, tmp_path: Path) -> None:
    """Runtimes near 2^62 differ by less than a float's step: compared as integers, both designs stay."""
    out = tmp_path / "run"
    result = cli("dse", TINY, "--set", "num_pes=256", "--set", "noc_latency=4611686018427387904", "--set",
                 "noc_bw=1,64", "--objective", "runtime", "--objective", "area", "-o", str(out))
    assert result.code == 0, result
    front = json.loads((out / "front.json").read_text())
    assert sorted(d["design"]["noc_bw"] for d in front) == [1, 64]
    runtimes = [d["metrics"]["runtime"] for d in front]
    assert len(set(runtimes)) == 2 and float(runtimes[0]) == float(runtimes[1])
    for runtime in runtimes:  # the table prints the integers themselves, not a float's rounding
        assert f"{runtime:,}" in result.out


def test_no_valid_design_says_why(cli, tmp_path: Path) -> None:
    """The tutorial's mistake: an area budget without --hw, so buffers and NoC are 'unlimited'; the help fixes it."""
    out = tmp_path / "run"
    space = ["--set", "num_pes=64:256:64", "--set", "CTile=4,8", "--area-budget", "6e8"]
    result = cli("dse", VGG, *space, "-o", str(out))
    assert result.code == 0, result
    assert "valid designs:    0" in result.out
    flat = " ".join(result.out.split())  # notes wrap at the terminal's width
    assert "no valid design: area budget removed" in flat
    assert "l1_size, l2_size, noc_bw are unlimited" in flat
    summary_json = json.loads((out / "summary.json").read_text())
    assert summary_json["designs_invalid_by"]["area"] > 0
    assert summary_json["space"]["hardware"]["l1_size"] == ["unlimited"]
    assert any("no valid design" in note for note in summary_json["notes"])
    tail = flat.split("unlimited: give --hw HW.m or ", 1)[1]
    hint = re.match(r"(?:--set \S+ ?)+", tail).group(0).split()  # the --set options the hint gives
    fixed = cli("dse", VGG, *space, *hint)
    assert fixed.code == 0 and "valid designs:    0" not in fixed.out and "no valid design" not in fixed.out


def test_unlimited_is_shown_as_such(cli, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = cli("dse", TINY, "--set", "num_pes=64,256", "-o", str(out))
    assert result.code == 0 and "unlimited" in result.out and "2147483647" not in result.out
    front = json.loads((out / "front.json").read_text())
    assert front[0]["design"]["l2_size"] == "unlimited" and front[0]["design"]["noc_bw"] == "unlimited"
    row = (out / "front.csv").read_text().splitlines()[1]
    assert "unlimited" in row and "2147483647" not in row


def test_scheduler_that_is_not_dask_times_out(cli) -> None:
    pytest.importorskip("distributed", reason="the Dask back end needs the optional extra 'distributed'")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]
    try:
        result = cli("dse", TINY, "--set", "num_pes=64", "--scheduler", f"tcp://127.0.0.1:{port}",
                     "--scheduler-timeout", "1")
    finally:
        for connection in accepted:
            connection.close()
        listener.close()
    assert result.code == 2 and "no Dask scheduler answered" in result.err and "--scheduler-timeout" in result.err


# ---- worker processes end with their parent -------------------------------------------------------
def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, seconds: float = 60.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc (Linux)")
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_workers_end_with_their_parent(sent: int) -> None:
    command = [sys.executable, "-m", "maestroc", "dse", VGG, "--space",
               str(ROOT / "samples/dse/vgg16_conv2_space.toml"), "--workers", "2"]
    parent = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: len(_children(parent.pid)) >= 2), "the workers did not start"
        workers = _children(parent.pid)
        parent.send_signal(sent)
        out, _ = parent.communicate(timeout=120)
        assert _wait_for(lambda: not any(_alive(pid) for pid in workers)), "a worker outlived its parent"
        if sent == signal.SIGTERM:
            assert parent.returncode == 128 + signal.SIGTERM and "stopped early: terminated" in out
        if sent == signal.SIGINT:  # Ctrl-C: the front so far is reported, and the status says it was stopped
            assert parent.returncode == 128 + signal.SIGINT and "stopped early: interrupted" in out
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.communicate()


def test_emit_hw_writes_front_designs_that_compile_reproduces(cli, tmp_path: Path) -> None:
    """`dse --emit-hw K`: each file, compiled with the --set line it names, gives the front's own numbers."""
    out = tmp_path / "run"
    result = cli("dse", VGG, "--hw", str(ROOT / "samples/hw/default_256pe.m"), "--set", "num_pes=64:256:64",
                 "--set", "CTile=4:16:4", "--set", "noc_bw=16,64", "-o", str(out), "--emit-hw", "3")
    assert result.code == 0, result
    front = json.loads((out / "front.json").read_text())
    written = sorted(out.glob("design-*.m"))
    assert [p.name for p in written] == [f"design-{n:02d}.m" for n in range(1, min(3, len(front)) + 1)]
    for path, entry in zip(written, front):
        command = re.search(r"Reproduce: maestroc (compile .*)$", path.read_text(), re.MULTILINE).group(1).split()
        compiled = cli(*command, "--emit", "json")
        assert compiled.code == 0, compiled
        totals = json.loads(compiled.out)["totals"]
        assert totals["runtime"] == entry["metrics"]["runtime"]
        assert totals["energy"] == pytest.approx(entry["metrics"]["energy"], rel=1e-12)
    refused = cli("dse", VGG, "--set", "num_pes=64", "--emit-hw", "2")
    assert refused.code == 2 and "-o DIR" in refused.err


def test_workers_are_ended_only_while_none_writes_a_result() -> None:
    """An early stop terminates the workers while holding the result queue's write lock: a worker killed
    half-way through writing a result left a partial message that hung the exit (about 1 SIGTERM in 5)."""
    from maestroc.dse_pools import _end_workers

    events: list[str] = []

    class Lock:
        def acquire(self, timeout: float) -> bool:
            events.append("lock")
            return True

        def release(self) -> None:
            events.append("unlock")

    class Worker:
        def __init__(self, name: str) -> None:
            self.name = name

        def is_alive(self) -> bool:
            return True

        def terminate(self) -> None:
            events.append(f"terminate {self.name}")

        def join(self, timeout: float) -> None:
            events.append(f"join {self.name}")

    _end_workers([Worker("a"), Worker("b")], Lock())
    assert events == ["lock", "terminate a", "terminate b", "join a", "join b", "unlock"]
    events.clear()
    _end_workers([Worker("a")], None)  # a platform without the lock still ends its workers
    assert events == ["terminate a", "join a"]
