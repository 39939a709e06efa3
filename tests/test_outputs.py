"""Every output maestroc writes follows one rule (docs/outputs.md): never over an input, an existing file
only with --force, atomic for regular files with the umask's mode, written through for FIFOs, devices and
symlink targets, stale temporaries removed; and inputs are read up to a size cap."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from maestroc.outputs import OutputError, OutputWriter, remove_stale_temporaries
from maestroc.parser import MAX_INPUT_BYTES
from maestroc.passes import PIPELINE

NETWORK = """\
Network One {
  Layer conv {
    Type: CONV
    Dimensions { K: 4, C: 4, R: 3, S: 3, Y: 6, X: 6 }
    Dataflow {
      SpatialMap(1,1) K;
      TemporalMap(4,4) C;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
    }
  }
}
"""

# Every layer fails to analyse: a cluster of 100 PEs on 64 PEs (lint error L106).
ALL_LAYERS_FAIL = """\
Network Bad {
  Layer only {
    Type: GEMM
    Dimensions { K: 100, M: 100, N: 100 }
    Dataflow {
      TemporalMap(1,1) N;
      SpatialMap(1,1) M;
      TemporalMap(100,100) K;
      Cluster(100, P);
      TemporalMap(1,1) N;
      TemporalMap(1,1) M;
      SpatialMap(1,1) K;
    }
  }
}
"""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding net.m (a mapping file), hw.m, a model file and two templates; the current folder."""
    (tmp_path / "net.m").write_text(NETWORK)
    (tmp_path / "hw.m").write_text((ROOT / "samples/hw/edge_64pe.m").read_text())
    (tmp_path / "model.m").write_text((ROOT / "samples/networks/tiny_cnn.m").read_text())
    for name in ("kcp_ws.m", "yxp_os.m", "gemm_nk.m", "dpt.m"):
        (tmp_path / name).write_text((ROOT / "samples/dataflows" / name).read_text())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


TYPE_TEMPLATES = ["--dataflow-for", "GEMM=gemm_nk.m", "--dataflow-for", "DSCONV=dpt.m"]
# Commands with -o, as (arguments before -o, the inputs they read).
COMMANDS = {
    "compile": (["compile", "net.m", "--hw", "hw.m", "--emit", "csv"], ["net.m", "hw.m"]),
    "lint": (["lint", "net.m", "--hw", "hw.m", "--format", "json"], ["net.m", "hw.m"]),
    "compare": (["compare", "net.m", "net.m", "--hw", "hw.m", "--emit", "csv"], ["net.m", "hw.m"]),
    "compare-dataflows": (["compare", "model.m", "--dataflow", "kcp_ws.m", "--dataflow", "yxp_os.m", *TYPE_TEMPLATES,
                           "--hw", "hw.m"], ["model.m", "yxp_os.m", "gemm_nk.m", "hw.m"]),
    "apply-dataflow": (["apply-dataflow", "model.m", "--dataflow", "kcp_ws.m", *TYPE_TEMPLATES],
                       ["model.m", "kcp_ws.m", "dpt.m"]),
}


@pytest.mark.parametrize(("command", "target"), [(c, t) for c, (_, inputs) in COMMANDS.items() for t in inputs])
def test_output_over_an_input_is_refused_even_with_force(cli, work: Path, command: str, target: str) -> None:
    arguments = COMMANDS[command][0]
    before = _contents(work)
    result = cli(*arguments, "-o", target, "--force")
    assert result.code == 2
    assert result.err == f"maestroc: cannot write {target}: is an input of this command; maestroc never writes " \
                         "over its inputs\n"
    assert _contents(work) == before


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_another_name_for_an_input_is_refused(cli, work: Path, link: str) -> None:
    (os.symlink if link == "symlink" else os.link)("net.m", "alias.m")
    result = cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "alias.m", "--force")
    assert result.code == 2 and "alias.m: is an input" in result.err
    assert (work / "net.m").read_text() == NETWORK


@pytest.mark.parametrize("command", list(COMMANDS))
def test_existing_file_is_replaced_only_with_force(cli, work: Path, command: str) -> None:
    arguments = COMMANDS[command][0]
    out = work / "out.txt"
    out.write_text("keep me\n")
    out.chmod(0o640)
    refused = cli(*arguments, "-o", "out.txt")
    assert refused.code == 2
    assert refused.err == "maestroc: cannot write out.txt: exists; use --force to replace it\n"
    assert out.read_text() == "keep me\n"
    replaced = cli(*arguments, "-o", "out.txt", "--force")
    assert replaced.code in (0, 1), replaced.err  # lint exits 1 on an error finding
    assert out.read_text() not in ("", "keep me\n")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # the file's own mode is kept
    assert not [p for p in work.iterdir() if ".maestroc-" in p.name]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_new_file_gets_the_umask_mode(cli, work: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "new.csv").code == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((work / "new.csv").stat().st_mode) == mode
    assert (work / "new.csv").read_text().startswith("Neural Network Name")


def _read_fifo_in_background(path: Path) -> tuple[threading.Thread, list[bytes]]:
    received: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, received


def test_fifo_is_written_into_not_replaced(cli, work: Path) -> None:
    fifo = work / "pipe"
    os.mkfifo(fifo)
    reader, received = _read_fifo_in_background(fifo)
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "pipe").code == 0
    reader.join(timeout=60)
    assert received and received[0].startswith(b"Neural Network Name")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in work.iterdir() if ".maestroc-" in p.name) == []


def test_character_device_is_written_into_not_replaced(cli, work: Path) -> None:
    device = work / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a null device of our own, in tmp
    except PermissionError:
        pytest.skip("creating a device node needs root (CAP_MKNOD)")
    result = cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "null")
    assert result.code == 0, result.err
    status = device.lstat()
    assert stat.S_ISCHR(status.st_mode) and status.st_rdev == os.makedev(1, 3)


def test_block_device_is_refused(cli, work: Path) -> None:
    try:  # major 240 is reserved for local use: no driver behind it, so nothing could be written anyway
        os.mknod(work / "disk", stat.S_IFBLK | 0o600, os.makedev(240, 0))
    except PermissionError:
        pytest.skip("creating a device node needs root (CAP_MKNOD)")
    result = cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "disk", "--force")
    assert result.code == 2 and "disk: is a block device" in result.err
    assert stat.S_ISBLK((work / "disk").lstat().st_mode)


def test_symlink_target_is_written_and_the_link_kept(cli, work: Path) -> None:
    (work / "results").mkdir()
    (work / "results/real.csv").write_text("old\n")
    os.symlink("results/real.csv", "link.csv")
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "link.csv").code == 2  # exists
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "link.csv", "--force").code == 0
    assert (work / "link.csv").is_symlink() and os.readlink("link.csv") == "results/real.csv"
    assert (work / "results/real.csv").read_text().startswith("Neural Network Name")
    os.symlink("results/made.csv", "dangling.csv")  # a link to a file that does not exist yet: created
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "dangling.csv").code == 0
    assert (work / "dangling.csv").is_symlink() and (work / "results/made.csv").read_text().startswith("Neural")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="/proc/self/fd is Linux's")
def test_link_to_a_pipe_such_as_dev_stdout_is_written_through(work: Path) -> None:
    """`-o /dev/stdout` (a link to /proc/self/fd/1) with standard output a pipe: the pipe has no real path,
    so it is opened by the user's path (before: "cannot write ...: No such file or directory")."""
    os.symlink("/proc/self/fd/1", "out")
    result = subprocess.run([sys.executable, "-m", "maestroc", "compile", "net.m", "--hw", "hw.m", "--emit", "csv",
                             "-o", "out"], cwd=work, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Neural Network Name") and os.readlink("out") == "/proc/self/fd/1"


@pytest.mark.parametrize(("path", "message"), [
    ("", "maestroc: cannot write '': names no file\n"),
    ("adir", "maestroc: cannot write adir: is a folder; give a file name\n"),
    ("newdir/", "maestroc: cannot write newdir/: ends with `/`, so it names a folder; give a file name\n"),
])
def test_paths_that_name_no_file_get_one_message(cli, work: Path, path: str, message: str) -> None:
    (work / "adir").mkdir()
    before = sorted(p.name for p in work.iterdir())
    for emit in ("csv", "plot"):
        result = cli("compile", "net.m", "--hw", "hw.m", "--emit", emit, "-o", path, "--force")
        assert (result.code, result.err) == (2, message)
    assert sorted(p.name for p in work.iterdir()) == before  # no adir.png, no newdir


def test_plot_format_comes_from_the_extension(cli, work: Path) -> None:
    refused = cli("compile", "net.m", "--hw", "hw.m", "--emit", "plot", "-o", "x.txt")
    assert refused.code == 2
    assert refused.err == "maestroc: cannot write x.txt: a plot is written as .png, .pdf, .svg; end the file " \
                          "name with one of them\n"
    assert not (work / "x.txt").exists()
    pytest.importorskip("matplotlib")
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "plot", "-o", "layers.svg").code == 0
    assert (work / "layers.svg").read_text().lstrip().startswith("<?xml")
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "plot", "-o", "layers.png").code == 0
    assert (work / "layers.png").read_bytes().startswith(b"\x89PNG")


KILLED_DURING_WRITE = """
import os, signal, sys
from maestroc import outputs
os.replace = lambda *names: os.kill(os.getpid(), signal.SIGKILL)  # die between writing and renaming
outputs.OutputWriter().write(sys.argv[1], "partial")
"""


def test_temporary_of_a_killed_run_is_named_and_removed_by_the_next_run(cli, work: Path) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_DURING_WRITE, "out.csv"], check=False, cwd=work,
                            timeout=120)
    assert killed.returncode == -signal.SIGKILL
    (left,) = [p.name for p in work.iterdir() if ".maestroc-" in p.name]
    assert left.startswith("out.csv.maestroc-") and left.endswith(".tmp")
    assert not (work / "out.csv").exists()
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "other.csv").code == 0
    assert not [p for p in work.iterdir() if ".maestroc-" in p.name]


def test_temporary_of_a_running_process_is_kept(tmp_path: Path) -> None:
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f"a.csv.maestroc-{running.pid}.tmp"
        live.write_text("in progress")
        user_file = tmp_path / "notes.maestroc.tmp"  # not our naming
        user_file.write_text("mine")
        assert remove_stale_temporaries(tmp_path) == []
        assert live.exists() and user_file.exists()
    finally:
        running.kill()
        running.wait()
    assert remove_stale_temporaries(tmp_path) == [live]


def test_writer_errors_name_the_users_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError) as caught:
        OutputWriter().write(str(blocker / "sub" / "out.csv"), "data")
    assert caught.value.filename == str(blocker / "sub" / "out.csv")
    with pytest.raises(OutputError) as refused:
        OutputWriter(inputs=(str(blocker),), force=True).write(str(blocker), "data", option="--dump-dir")
    assert str(refused.value) == f"--dump-dir {blocker}: is an input of this command; maestroc never writes " \
                                 "over its inputs"
    assert blocker.read_text() == "x"


def test_output_folder_rule(cli, work: Path) -> None:
    folder = work / "dumps"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep")
    refused = cli("compile", "net.m", "--dump-dir", "dumps")
    assert refused.code == 2
    assert refused.err == "maestroc: cannot write dumps: folder is not empty; use --force to write into it " \
                          "(files of the same names are replaced, others are kept)\n"
    assert "did not write" not in refused.err and [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert cli("compile", "net.m", "--dump-dir", "dumps", "--force").code == 0
    assert (folder / "mine.txt").read_text() == "keep"


def test_dump_dir_alone_writes_one_file_per_pass(cli, work: Path) -> None:
    result = cli("compile", "net.m", "--hw", "hw.m", "--emit", "none", "--dump-dir", "dumps")
    assert result.code == 0, result.err
    names = sorted(p.name for p in (work / "dumps").iterdir())
    assert names == [f"{i:02d}-after-{p.name}.ir" for i, p in enumerate(PIPELINE, start=1)]
    chosen = cli("compile", "net.m", "--print-ir-after", "resolve", "--dump-dir", "chosen", "--emit", "none")
    assert chosen.code == 0 and [p.name for p in (work / "chosen").iterdir()] == ["01-after-resolve.ir"]


def test_dse_folder_and_plot_are_written_or_refused(cli, work: Path) -> None:
    no_folder = cli("dse", "net.m", "--set", "num_pes=16,64", "--plot")
    assert no_folder.code == 2 and "--plot" in no_folder.err and "-o DIR" in no_folder.err
    out = work / "dse"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "front.csv").write_text("old")
    refused = cli("dse", "net.m", "--set", "num_pes=16,64", "-o", "dse")
    assert refused.code == 2 and "dse: folder is not empty; use --force" in refused.err
    assert (out / "front.csv").read_text() == "old"
    assert cli("dse", "net.m", "--set", "num_pes=16,64", "-o", "dse", "--force").code == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "front.csv").read_text() != "old"
    assert {"front.json", "summary.json"} <= {p.name for p in out.iterdir()}
    assert cli("dse", "net.m", "--set", "num_pes=16", "-o", "").code == 2


def test_compare_writes_its_table_to_the_file(cli, work: Path) -> None:
    result = cli("compare", "net.m", "net.m", "--hw", "hw.m", "-o", "cmp.txt")
    assert result.code == 0 and result.out == ""
    table = (work / "cmp.txt").read_text()
    assert "fastest" in table and "total" in table


@pytest.mark.parametrize("emit", ["csv", "report", "json"])
def test_network_whose_layers_all_fail_prints_nothing_on_stdout(cli, work: Path, emit: str) -> None:
    (work / "bad.m").write_text(ALL_LAYERS_FAIL)
    result = cli("compile", "bad.m", "--hw", "hw.m", "--emit", emit)
    assert result.code == 2 and result.out == ""
    assert "error[L106]" in result.err


def test_input_larger_than_the_cap_is_an_error(cli, work: Path) -> None:
    big = work / "big.m"
    big.write_bytes(b"// padding\n" * (MAX_INPUT_BYTES // 11 + 1))
    result = cli("parse", "big.m", "--emit", "none")
    assert result.code == 2
    assert f"big.m: larger than {MAX_INPUT_BYTES // 2**20} MiB" in result.err


def test_endless_input_is_read_only_up_to_the_cap(cli, work: Path) -> None:
    """A FIFO fed without end stands for /dev/zero: maestroc stops reading at the cap."""
    endless = work / "endless"
    os.mkfifo(endless)

    def feed() -> None:
        try:
            with open(endless, "wb") as handle:
                while True:
                    handle.write(b" " * 65536)
        except BrokenPipeError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    result = cli("parse", "endless", "--emit", "none")
    feeder.join(timeout=60)
    assert not feeder.is_alive()
    assert result.code == 2 and "endless: larger than" in result.err


def test_import_follows_the_rule(cli, work: Path) -> None:
    onnx = pytest.importorskip("onnx", reason="maestroc import needs the optional extra 'onnx'")
    from onnx import TensorProto, helper

    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], "one conv",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [weight])
    onnx.save(helper.make_model(graph), "one.onnx")
    model = (work / "one.onnx").read_bytes()
    refused = cli("import", "one.onnx", "-o", "one.onnx", "--force")
    assert refused.code == 2 and "one.onnx: is an input" in refused.err
    assert (work / "one.onnx").read_bytes() == model
    (work / "one.m").write_text("keep\n")
    assert cli("import", "one.onnx", "-o", "one.m").code == 2 and (work / "one.m").read_text() == "keep\n"
    assert cli("import", "one.onnx", "-o", "one.m", "--force").code == 0
    assert "Layer conv" in (work / "one.m").read_text()


def test_output_option_is_never_silently_ignored(cli, work: Path) -> None:
    result = cli("compile", "net.m", "--emit", "none", "-o", "out.txt")
    assert result.code == 2 and "-o out.txt" in result.err
    result = cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "--stop-after", "tables", "-o", "out.txt")
    assert result.code == 2 and "--stop-after tables" in result.err  # a cost output needs the whole pipeline
    assert not (work / "out.txt").exists()
    # With --hw and --stop-after, the default output is the IR where the pipeline stopped.
    assert cli("compile", "net.m", "--hw", "hw.m", "--stop-after", "tables", "-o", "out.txt").code == 0
    assert (work / "out.txt").read_text().startswith("network One")
    (work / "out.txt").unlink()
    assert cli("compile", "net.m", "--stop-after", "tables", "--emit", "ir", "-o", "out.txt").code == 0
    assert (work / "out.txt").read_text().startswith("network One")


def test_replaced_file_keeps_its_owner_when_root_replaces_it(cli, work: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    out = work / "theirs.csv"
    out.write_text("old\n")
    os.chown(out, 12345, 12345)
    assert cli("compile", "net.m", "--hw", "hw.m", "--emit", "csv", "-o", "theirs.csv", "--force").code == 0
    status = out.stat()
    assert (status.st_uid, status.st_gid) == (12345, 12345) and out.read_text().startswith("Neural Network Name")
