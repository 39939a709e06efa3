"""`maestroc map` end to end: mapped.m reproduces summary.json exactly under compile and lint, the
command's input errors are located diagnostics (exit 2), outputs obey the writer rules, and a search
stopped early keeps its best so far."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

import maestroc
import maestroc.api
from maestroc.diagnostics import InputError
from maestroc.mapping.output import summary
from maestroc.mapping.groups import PAIRS
from maestroc.mapping.parallel import parts_per_shape

TINY = str(ROOT / "samples/networks/tiny_cnn.m")
HW = str(ROOT / "samples/hw/default_256pe.m")


@pytest.mark.parametrize("network, hw", [
    ("tiny_cnn.m", "default_256pe.m"), ("vgg16_model.m", "edge_64pe.m"), ("mobilenet_v2_model.m", "default_256pe.m")])
def test_compile_of_mapped_m_gives_every_value_of_summary_json(cli, tmp_path: Path, network: str, hw: str) -> None:
    out = tmp_path / "out"
    hw_path = str(ROOT / "samples/hw" / hw)
    result = cli("map", str(ROOT / "samples/networks" / network), "--hw", hw_path, "--max-mappings", "12",
                 "-o", str(out))
    assert result.code == 0, result.err
    document = json.loads((out / "summary.json").read_text())
    compiled = maestroc.compile(out / "mapped.m", hw=hw_path)
    assert len(compiled.layers) == len(document["layers"])
    for m, entry in zip(compiled.layers, document["layers"]):
        assert (m.name, m.runtime, m.energy, m.energy * m.runtime) == \
            (entry["name"], entry["runtime"], entry["energy"], entry["edp"])
    runtime = sum(m.runtime for m in compiled.layers)
    energy = sum(m.energy for m in compiled.layers)
    assert document["totals"]["best"] == {"runtime": runtime, "energy": energy, "edp": energy * runtime}
    single = document["totals"]["best_single_template"]
    if network == "vgg16_model.m":  # CONV and GEMM: one template each
        assert set(single["templates"]) == {"CONV", "GEMM"}
        assert document["totals"]["edp_gain_over_best_single_template"] == single["edp"] / (energy * runtime)
    lint = cli("lint", str(out / "mapped.m"), "--hw", hw_path)
    assert "error[" not in lint.out + lint.err
    assert document["stopped_early"] == "max mappings"
    if network.endswith("_model.m"):  # a model file: each baseline is a sample template, compiled the same
        templates = {entry["name"]: str(ROOT / "samples/dataflows" / entry["baseline"]["source"])
                     for entry in document["layers"]}
        baseline = maestroc.compile(ROOT / "samples/networks" / network, hw=hw_path, dataflow_for=templates)
        for m, entry in zip(baseline.layers, document["layers"]):
            assert (m.runtime, m.energy, m.energy * m.runtime) == \
                tuple(entry["baseline"][key] for key in ("runtime", "energy", "edp"))


def test_mapped_m_keeps_every_line_outside_the_dataflow_blocks() -> None:
    """Names, comments and layout stay; only the Dataflow blocks (and their comments) are replaced."""
    from maestroc.mapping.output import mapped_text

    result = maestroc.map(TINY, HW, max_mappings=5)
    text = mapped_text(result)
    kept, inside = [], False
    for line in Path(TINY).read_text().splitlines():
        inside = inside or "Dataflow {" in line
        if not inside:
            kept.append(line)
        elif line.strip() == "}":
            inside = False
    lines = iter(text.splitlines())
    assert all(any(line == other for other in lines) for line in kept)  # in order
    assert text.count("// maestroc map: runtime") == 5 and text.count("Dataflow {") == 5


def test_several_objectives_write_fronts(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = cli("map", TINY, "--hw", HW, "--max-mappings", "30", "--objective", "runtime", "--objective", "energy",
                 "-o", str(out))
    assert result.code == 0, result.err
    front = json.loads((out / "front.json").read_text())
    assert {row["layer"] for row in front} == {"stem_7x7_s2", "conv_3x3", "proj_1x1", "depthwise_3x3", "classifier"}
    for layer in {row["layer"] for row in front}:
        points = [(row["runtime"], row["energy"]) for row in front if row["layer"] == layer]
        for a in points:
            assert not any(b != a and b[0] <= a[0] and b[1] <= a[1] for b in points)
    assert (out / "front.csv").read_text().startswith("layer,index,mapping,runtime,energy,edp,directives")


@pytest.mark.parametrize("text, line, column, code, words", [
    ("levels = [1, 2]\nshape = 3\n", 2, 1, "E502", "unknown key 'shape'"),
    ("levels = [3]\n", 1, 1, "E501", "one or two cluster levels"),
    ("tiles = [\"pow3\"]\n", 1, 1, "E501", "tiles: expected a non-empty list of pow2, full, divisors"),
    ("[tile_range]\nK = [8, 2]\n", 2, 1, "E501", "tile_range.K: expected [low, high]"),
    ("[tile_range]\nQ = [1, 2]\n", 2, 1, "E502", "unknown dimension 'Q'"),
    ("levels = ]\n", 1, 10, "E501", "not valid TOML"),
])
def test_bad_space_file_is_a_located_error(cli, tmp_path: Path, text: str, line: int, column: int, code: str,
                                           words: str) -> None:
    space = tmp_path / "space.toml"
    space.write_text(text)
    result = cli("map", TINY, "--hw", HW, "--space", str(space))
    assert result.code == 2
    assert f"{space}:{line}:{column}: error[{code}]" in result.err and words in result.err


def test_map_needs_hardware_and_a_free_folder(cli, tmp_path: Path) -> None:
    no_hw = cli("map", TINY)
    assert no_hw.code == 2 and "--hw" in no_hw.err
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    busy = cli("map", TINY, "--hw", HW, "--max-mappings", "2", "-o", str(out))
    assert busy.code == 2 and "not empty" in busy.err and not (out / "mapped.m").exists()
    forced = cli("map", TINY, "--hw", HW, "--max-mappings", "2", "-o", str(out), "--force")
    assert forced.code == 0 and (out / "mapped.m").exists() and (out / "keep.txt").read_text() == "mine"
    hw_file = cli("map", HW, "--hw", HW)
    assert hw_file.code == 2 and "error[E004]" in hw_file.err


@pytest.mark.parametrize("objectives, clash", [(["edp"], "summary.json"), (["runtime", "energy"], "front.csv")])
def test_an_input_in_the_forced_folder_is_refused_before_the_search(cli, monkeypatch, tmp_path: Path,
                                                                     objectives: list[str], clash: str) -> None:
    """With --force the folder may hold an input named like an output: refused at once (not after a long
    search, whose result would then be lost), and the input is kept."""
    import maestroc.api

    out = tmp_path / "out"
    out.mkdir()
    network = out / clash
    network.write_text(Path(TINY).read_text())
    monkeypatch.setattr(maestroc.api, "map", lambda *a, **k: pytest.fail("searched before checking -o"))
    flags = [flag for objective in objectives for flag in ("--objective", objective)]
    result = cli("map", str(network), "--hw", HW, *flags, "-o", str(out), "--force")
    assert result.code == 2 and f"{network}: is an input of this command" in result.err
    assert network.read_text() == Path(TINY).read_text() and sorted(p.name for p in out.iterdir()) == [clash]


def test_a_folder_that_cannot_be_made_is_refused_before_the_search(cli, monkeypatch, tmp_path: Path) -> None:
    """The folder is made before the search (the result of a long run is not lost to it), and only once the
    inputs are valid (a bad input leaves no folder behind)."""
    import maestroc.api

    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc, where no folder can be made")
    monkeypatch.setattr(maestroc.api, "map", lambda *a, **k: pytest.fail("searched before making the folder"))
    result = cli("map", TINY, "--hw", HW, "-o", "/proc/maestroc-test/out")
    assert result.code == 2 and "cannot write /proc/maestroc-test" in result.err
    bad = cli("map", str(tmp_path / "missing.m"), "--hw", HW, "-o", str(tmp_path / "new" / "out"))
    assert bad.code == 2 and "error[E001]" in bad.err and not (tmp_path / "new").exists()


def test_bad_objective_and_budget_are_input_errors() -> None:
    with pytest.raises(InputError):
        maestroc.map(TINY, HW, objectives="latency")
    with pytest.raises(InputError):
        maestroc.map(TINY, HW, time_budget=-1)


def test_explain_space_prints_sizes(cli) -> None:
    result = cli("map", TINY, "--hw", HW, "--explain-space")
    assert result.code == 0
    assert "stem_7x7_s2 (CONV" in result.out and "families:" in result.out and "network:" in result.out


TWO_DATAFLOWS = """Network Two {
  Layer a {
    Type: CONV
    Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 10, X: 10 }
    Dataflow { SpatialMap(1,1) K; TemporalMap(16,16) C; TemporalMap(3,3) R; TemporalMap(3,3) S;
               TemporalMap(3,1) Y; TemporalMap(3,1) X; }
  }
  Layer b {
    Type: CONV
    Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 10, X: 10 }
    Dataflow { SpatialMap(1,1) C; TemporalMap(16,16) K; TemporalMap(3,3) R; TemporalMap(3,3) S;
               TemporalMap(3,1) Y; TemporalMap(3,1) X; }
  }
  Layer c {
    Type: CONV
    Dimensions { K: 16, C: 16, R: 3, S: 3, Y: 10, X: 10 }
    Dataflow { SpatialMap(1,1) C; TemporalMap(16,16) K; TemporalMap(3,3) R; TemporalMap(3,3) S;
               TemporalMap(3,1) Y; TemporalMap(3,1) X; }
  }
}
"""


def test_explain_space_describes_the_shapes_and_points_the_search_uses(cli, tmp_path: Path) -> None:
    """Layers of one shape but different written dataflows are searched apart, and the input's own dataflow
    is a point of each: --explain-space once merged them and left that point out of its count."""
    network = tmp_path / "two.m"
    network.write_text(TWO_DATAFLOWS)
    space = tmp_path / "space.toml"
    space.write_text('levels = [1]\ntiles = ["full"]\norder = ["K", "C", "Y", "X"]\n')
    result = cli("map", str(network), "--hw", HW, "--space", str(space), "--explain-space")
    assert result.code == 0
    assert "\nb (CONV" in result.out and "c: same shape as b, searched once" in result.out
    assert result.out.count("template points of the space: the input's own dataflow, ") == 2
    searched = maestroc.map(network, HW, space=space)
    assert searched.stopped is None
    assert f"network: {searched.considered:,} mappings over 2 distinct layer shapes" in result.out


def test_explain_space_lists_the_cluster_sizes_the_search_uses(cli) -> None:
    """The filter sizes are Cluster sizes of the space (docs/mapping.md); --explain-space once left them out."""
    result = cli("map", TINY, "--hw", HW, "--explain-space")
    paragraphs = {p.split(" (")[0]: p for p in result.out.split("\n\n")}
    assert "cluster sizes: 2, 4, 7, 8, 16, 32, 64, 128, 256\n" in paragraphs["stem_7x7_s2"]  # R = S = 7
    assert "cluster sizes: 2, 3, 4, 8, 16, 32, 64, 128, 256\n" in paragraphs["conv_3x3"]
    assert "cluster sizes: 2, 4, 8, 16, 32, 64, 128, 256\n" in paragraphs["classifier"]  # a GEMM has no filter


def test_a_stop_request_keeps_the_best_so_far() -> None:
    stop = threading.Event()
    events = []

    def progress(event) -> None:  # type: ignore[no-untyped-def]
        events.append(event)
        if event.considered > 12:  # past the template points: stop during the first layer's grid
            stop.set()

    result = maestroc.map(TINY, HW, stop=stop, progress=progress)
    assert result.stopped == "interrupted"
    first = result.layers[0].search
    # It stops at the next block: at most one block of pairs (an order and a row) past the event.
    assert first.stopped == "interrupted" and first.best is not None and 12 < first.considered <= 12 + PAIRS
    assert all(m.search.best is not None for m in result.layers)  # the template points of every layer
    assert summary(result)["stopped_early"] == "interrupted"
    finished = [e for e in events if e.finished]
    assert [e.shape for e in finished] == [0, 1, 2, 3, 4] and all(e.shapes == 5 for e in events)
    assert [e.considered for e in finished] == [m.search.considered for m in result.layers]


def _wait_for_handler(pid: int, signum: int, timeout: float = 60) -> None:
    """Until process ``pid`` catches ``signum`` (Linux: the SigCgt mask of /proc/PID/status)."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        time.sleep(5)
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        caught = next((line.split()[1] for line in status.read_text().splitlines() if line.startswith("SigCgt")), "0")
        if int(caught, 16) >> (signum - 1) & 1:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} never caught signal {signum}")


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_writes_the_best_so_far(tmp_path: Path, signum: int, status: int) -> None:
    """SIGTERM and Ctrl-C (SIGINT) both keep the best so far; the exit status says which stopped it."""
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "maestroc", "map", TINY, "--hw", HW, "-o", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    _wait_for_handler(process.pid, signum)
    time.sleep(1)  # into the search
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    document = json.loads((out / "summary.json").read_text())
    assert document["stopped_early"] == "interrupted"
    assert b"stopped early" in stdout


def test_a_time_budget_is_shared_by_the_layers_and_every_layer_gets_a_mapping() -> None:
    start = time.monotonic()
    result = maestroc.map(ROOT / "samples/networks/vgg16_model.m", "samples/hw/default_256pe.m", time_budget=6)
    assert time.monotonic() - start < 30
    assert result.stopped == "time budget"
    assert all(m.search.best is not None for m in result.layers)
    first = result.layers[0].search  # its share is 6 s / 12 shapes: without sharing it would take all 6 s
    assert first.evaluated > len(first.templates) and first.seconds < 4


def test_results_are_the_same_for_any_worker_count() -> None:
    def figures(workers: int) -> list[tuple]:
        result = maestroc.map(TINY, HW, objectives=["edp", "runtime"], max_mappings=150, workers=workers)
        return [(m.name, m.searched_as, m.search.evaluated, m.search.valid, m.search.removed, m.search.best,
                 m.search.front, m.baseline) for m in result.layers]

    assert figures(1) == figures(2)
    with pytest.raises(InputError):
        maestroc.map(TINY, HW, workers=0)


def test_a_layer_split_across_workers_finds_what_one_search_finds(tmp_path: Path) -> None:
    """A network of one layer, uncapped: its groups are split into one part per worker and merged; the best
    mapping, the front, the templates, and the mappings considered, valid and removed per rule are those of
    one process."""
    network = ("Network One {\n  Layer conv { Type: CONV Dimensions { K: 64, C: 32, R: 3, S: 3, Y: 29, X: 29 } }\n"
               "}\n")
    space = tmp_path / "narrow.toml"
    space.write_text('clusters = [4, 16]\ntiles = ["pow2"]\n[tile_range]\nK = [1, 16]\nC = [1, 16]\n')

    def outcome(workers: int) -> list[tuple]:
        result = maestroc.map(network, HW, objectives=["edp", "runtime", "energy"], space=str(space),
                              workers=workers)
        assert result.stopped is None
        return [(m.name, m.search.best, m.search.front, m.search.templates, m.search.considered, m.search.valid,
                 m.search.removed, m.baseline) for m in result.layers]

    one, two = outcome(1), outcome(2)
    assert one == two
    assert len(one[0][2]) > 1  # fronts of several points were merged


def test_a_shape_is_split_only_when_it_holds_more_than_a_workers_share() -> None:
    assert parts_per_shape([100], 2, capped=False) == [2]
    assert parts_per_shape([100], 2, capped=True) == [1]
    assert parts_per_shape([50, 50], 2, capped=False) == [1, 1]
    assert parts_per_shape([80, 10, 10], 4, capped=False) == [3, 1, 1]
    assert parts_per_shape([5] * 20, 2, capped=False) == [1] * 20


def test_a_dask_cluster_gives_the_same_result() -> None:
    pytest.importorskip("distributed", reason="the Dask back end needs the optional extra 'distributed'")

    def figures(**where: object) -> list[tuple]:
        result = maestroc.map(TINY, HW, max_mappings=60, **where)  # type: ignore[arg-type]
        return [(m.name, m.search.evaluated, m.search.best, m.baseline) for m in result.layers]

    assert figures(dask=True, workers=2) == figures()


def test_an_unreachable_scheduler_is_an_input_error(cli) -> None:
    pytest.importorskip("distributed", reason="the Dask back end needs the optional extra 'distributed'")
    result = cli("map", TINY, "--hw", HW, "--scheduler", "tcp://127.0.0.1:9", "--scheduler-timeout", "2")
    assert result.code == 2 and "error[E501]" in result.err and "127.0.0.1:9" in result.err


@pytest.mark.parametrize("hw", ["default_256pe.m", "edge_64pe.m"])
@pytest.mark.parametrize("network", ["vgg16_model.m", "resnet50_model.m", "mobilenet_v2_model.m"])
def test_every_layer_is_at_least_as_good_as_its_best_legal_template(network: str, hw: str) -> None:
    result = maestroc.map(ROOT / "samples/networks" / network, ROOT / "samples/hw" / hw, max_mappings=12)
    for m in result.layers:
        assert m.baseline is not None, m.name
        legal = [f.values["edp"] for f in m.search.templates.values() if f is not None]
        assert m.baseline.values["edp"] == min(legal)
        assert m.search.best.values["edp"] <= m.baseline.values["edp"]


def test_a_layer_without_a_valid_mapping_is_said_so(tmp_path: Path) -> None:
    """With no template and a space whose every member exceeds L1, the layer keeps its text and a note."""
    from maestroc.mapping.output import mapped_text

    hw = {"num_pes": 16, "l1_size": 1, "l2_size": 1 << 20}
    result = maestroc.map(TINY, hw, templates=[], max_mappings=20)
    assert all(m.search.best is None and m.search.removed["l1"] + m.search.removed["macs"] ==
               m.search.considered for m in result.layers)
    text = mapped_text(result)
    assert text.count("// maestroc map: no valid mapping found for layer") == 5
    assert "// maestroc map: no valid mapping found for layer `conv_3x3` in the space searched (summary.json says " \
           "why)\n  Layer conv_3x3 {" in text
    assert text.count("Dataflow {") == Path(TINY).read_text().count("Dataflow {")


def test_the_terminal_names_the_layers_without_a_valid_mapping(cli, tmp_path: Path) -> None:
    """The table only shows `-` for them: a warning names them and what removed their candidates."""
    hw = tmp_path / "tiny_l1.m"
    hw.write_text("num_pes: 16\nl1_size_cstr: 1\nl2_size_cstr: 1048576\n")
    result = cli("map", TINY, "--hw", str(hw), "--max-mappings", "20")
    assert result.code == 0
    assert "warning: no valid mapping found for 5 layer(s) (`stem_7x7_s2`, `conv_3x3`, `proj_1x1`, " \
           "`depthwise_3x3`, ...)" in result.err
    assert "candidates removed by rule: " in result.err and " l1 " in result.err
    assert "no valid mapping" not in cli("map", TINY, "--hw", HW, "--max-mappings", "20").err


def test_a_template_that_is_no_template_is_an_input_error(cli) -> None:
    result = cli("map", TINY, "--hw", HW, "--template", HW)
    assert result.code == 2 and "error[" in result.err


def test_explain_space_checks_the_run_options_too(cli) -> None:
    """`--explain-space` runs no search, but a bad option is still an error, not silently ignored."""
    result = cli("map", TINY, "--hw", HW, "--explain-space", "--workers", "-3")
    assert result.code == 2 and "error[E501]" in result.err and "workers" in result.err


EMPTY_NETWORK = "// a network whose layers are not written yet\nNetwork Empty {\n}\n"


@pytest.mark.parametrize("command", [
    ["map", "--hw", HW], ["map", "--hw", HW, "--explain-space"], ["compile", "--hw", HW],
    ["dse", "--set", "num_pes=64,128"], ["lint"]])
def test_a_network_without_layers_is_an_error_in_every_command(cli, tmp_path: Path, command: list[str]) -> None:
    """No command prints an empty table for a network without layers: E007 at `Network NAME`, exit 2."""
    network = tmp_path / "empty.m"
    network.write_text(EMPTY_NETWORK)
    out = tmp_path / "out"
    output = ["-o", str(out)] if command[0] in ("map", "dse") and "--explain-space" not in command else []
    result = cli(command[0], str(network), *command[1:], *output)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"{network}:2:1: error[E007]: network `Empty` has no layers")
    assert "^^^^^^^^^^^^^\n" in result.err and not out.exists()


def test_the_help_of_a_network_without_layers_removes_the_error(cli, tmp_path: Path) -> None:
    network = tmp_path / "empty.m"
    network.write_text(EMPTY_NETWORK)
    (help_line,) = [line for line in cli("map", str(network), "--hw", HW).err.splitlines() if line.startswith("help:")]
    layer = help_line.split("`", 3)[3].rsplit("`", 1)[0]  # the example after "inside its `{ }`, e.g."
    network.write_text(EMPTY_NETWORK.replace("{\n}", "{\n" + layer + "\n}"))
    assert cli("map", str(network), "--hw", HW, "--explain-space").code == 0


@pytest.mark.parametrize("run", [
    lambda path: maestroc.map(path, HW), lambda path: maestroc.api.map_space(path, HW),
    lambda path: maestroc.compile(path, hw=HW), lambda path: maestroc.dse(path, set="num_pes=64,128")])
def test_the_api_refuses_a_network_without_layers_as_the_cli_does(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    network = tmp_path / "empty.m"
    network.write_text(EMPTY_NETWORK)
    with pytest.raises(InputError) as error:
        run(str(network))
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.code, str(diagnostic.span)) == ("E007", f"{network}:2:1")


BAD_RUN_OPTIONS = [  # (flag, value, parameter of maestroc.map, its value): the same mistake in both places
    ("--workers", "0", "workers", 0), ("--time-budget", "nan", "time_budget", float("nan")),
    ("--max-mappings", "0", "max_mappings", 0), ("--scheduler-timeout", "inf", "scheduler_timeout", float("inf"))]


@pytest.mark.parametrize("flag, text, parameter, value", BAD_RUN_OPTIONS)
def test_an_option_error_names_the_flag_on_the_command_line_and_the_parameter_in_python(
        cli, flag: str, text: str, parameter: str, value: object) -> None:
    result = cli("map", TINY, "--hw", HW, flag, text)
    assert result.code == 2 and f"error[E501]: {flag}: expected " in result.err
    with pytest.raises(InputError) as error:
        maestroc.map(TINY, HW, **{parameter: value})
    assert str(error.value).startswith(f"{parameter}: expected ")


def test_a_repeated_objective_names_the_objective_flag(cli) -> None:
    result = cli("map", TINY, "--hw", HW, "--objective", "edp", "--objective", "edp", "--explain-space")
    assert result.code == 2 and "error[E501]: --objective: expected distinct names" in result.err
    with pytest.raises(InputError, match="^objectives: expected distinct names"):
        maestroc.map(TINY, HW, objectives=["edp", "edp"])


def test_exhaustive_evaluates_every_mapping_and_finds_what_the_pruned_search_finds(cli, tmp_path: Path) -> None:
    """--exhaustive (no pruning) on a narrowed space of every layer of tiny_cnn: every mapping is evaluated in
    full, and each layer's best mapping and figures are those of the default, pruned search."""
    space = tmp_path / "narrow.toml"
    space.write_text('clusters = [4, 16]\ntiles = ["pow2"]\n[tile_range]\nK = [1, 8]\nC = [1, 8]\n')
    documents = {}
    for mode in ("pruned", "exhaustive"):
        out = tmp_path / mode
        flags = ["--exhaustive"] if mode == "exhaustive" else []
        result = cli("map", TINY, "--hw", HW, "--space", str(space), *flags, "-o", str(out))
        assert result.code == 0, result.err
        documents[mode] = json.loads((out / "summary.json").read_text())
    pruned, exhaustive = documents["pruned"], documents["exhaustive"]
    assert (pruned["pruning"], exhaustive["pruning"]) == (True, False)
    assert pruned["stopped_early"] is None and exhaustive["stopped_early"] is None
    for a, b in zip(pruned["layers"], exhaustive["layers"]):
        assert [a[key] for key in ("name", "runtime", "energy", "edp", "mapping")] == \
            [b[key] for key in ("name", "runtime", "energy", "edp", "mapping")]
        assert a["mappings_considered"] == b["mappings_considered"] == b["mappings_evaluated"]
        assert b["mappings_pruned"] == 0 and a["removed"] == b["removed"]
    assert sum(layer["mappings_evaluated"] for layer in pruned["layers"]) < \
        sum(layer["mappings_evaluated"] for layer in exhaustive["layers"])
