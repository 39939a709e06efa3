"""Validate maestroc's timing models against SCALE-Sim 2.0.2, a cycle-level systolic-array simulator.

Each layer runs on SCALE-Sim (weight- and output-stationary, a square array, SRAMs so large that
it reports no stall) and on maestroc with the matched mapping (docs/validation.md): the layer in
im2col form (a 1x1 CONV of C' = R*S*C channels over P = Y'*X' output pixels, flattened along X),
``num_pes`` = side^2, ``noc_bw_cstr`` = 2 * side (one element per edge PE and cycle),
``NoC_NumHops: 1``, no buffer or off-chip limit; once with MAESTRO's timing and once with
``noc_topology: systolic``. It prints the cycles and the errors relative to SCALE-Sim, and the mean
absolute error per dataflow and array size (the table of docs/validation.md). Dataflows: weight-,
output- and input-stationary.

    pip install -e '.[validate]'
    python bench/validate_systolic.py              # every layer, WS/OS/IS, 16x16 and 32x32 (about 20 minutes)
    python bench/validate_systolic.py --sides 16 --layers fc1024_b1,gemm_64
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from dataclasses import dataclass

import maestroc


@dataclass(frozen=True)
class ConvLayer:
    """A layer as SCALE-Sim's topology files give it (no padding: a padded input is written padded).

    A strided layer's input has ``(ifmap - filter) % stride == 0``: otherwise SCALE-Sim rounds the output
    size up (one more output row and column, whose window leaves the input) where the layer has none.
    """

    name: str
    source: str  # the network it comes from
    ifmap: int  # input height and width
    filter: int  # filter height and width
    channels: int
    filters: int
    stride: int = 1

    @property
    def out(self) -> int:
        """Output height and width."""
        return (self.ifmap - self.filter) // self.stride + 1

    @property
    def pixels(self) -> int:
        """P: output pixels, the rows of the im2col matrix."""
        return self.out * self.out

    @property
    def window(self) -> int:
        """C' = R*S*C: the reduction length of one output."""
        return self.filter * self.filter * self.channels


# Real layer shapes, chosen so that SCALE-Sim (about 5,000 simulated cycles a second here) runs the whole
# table in about ten minutes: VGG16 is its CIFAR-10 form (32x32 inputs), padded inputs are written padded.
LAYERS = (
    ConvLayer("resnet50_conv2_1x1", "ResNet-50 conv2_x 1x1 reduce", 56, 1, 64, 64),
    ConvLayer("resnet_3x3_s2", "ResNet-style strided 3x3 (64 channels)", 29, 3, 64, 64, 2),
    ConvLayer("mobilenetv2_conv1_s2", "MobileNetV2 first conv, stride 2", 225, 3, 3, 32, 2),
    ConvLayer("mobilenetv2_b3_expand", "MobileNetV2 block 3 expand 1x1", 56, 1, 24, 144),
    ConvLayer("mobilenetv2_b3_project", "MobileNetV2 block 3 project 1x1", 56, 1, 144, 24),
    ConvLayer("mobilenetv2_b6_expand", "MobileNetV2 block 6 expand 1x1", 28, 1, 32, 192),
    ConvLayer("mobilenetv2_b6_project", "MobileNetV2 block 6 project 1x1", 28, 1, 192, 32),
    ConvLayer("mobilenetv2_b10_expand", "MobileNetV2 block 10 expand 1x1", 14, 1, 64, 384),
    ConvLayer("mobilenetv2_b15_expand", "MobileNetV2 block 15 expand 1x1", 7, 1, 160, 960),
    ConvLayer("vgg16c_conv1_1", "VGG16 (CIFAR-10) conv1_1", 34, 3, 3, 64),
    ConvLayer("vgg16c_conv1_2", "VGG16 (CIFAR-10) conv1_2 (issue 15's first layer)", 34, 3, 64, 64),
    ConvLayer("vgg16c_fc_b16", "VGG16 (CIFAR-10) FC 512-512, batch 16", 4, 1, 512, 512),
    ConvLayer("vgg16c_fc_b1", "VGG16 (CIFAR-10) FC 512-10, batch 1", 1, 1, 512, 10),
    ConvLayer("fc1024_b1", "FC 1024-256, batch 1", 1, 1, 1024, 256),
    ConvLayer("fc1024_b16", "FC 1024-256, batch 16", 4, 1, 1024, 256),
    ConvLayer("gemm_64", "GEMM M=64 N=512 K=512", 8, 1, 512, 512),
    ConvLayer("gemm_16", "GEMM M=16 N=128 K=256", 4, 1, 256, 128),
)
DATAFLOWS = ("ws", "os", "is")
SIDES = (16, 32)


def scalesim_cycles(layer: ConvLayer, dataflow: str, side: int) -> int:
    """SCALE-Sim's total cycles for one layer (it must report no stall cycles: the SRAMs are huge)."""
    from scalesim.scale_config import scale_config
    from scalesim.single_layer_sim import single_layer_sim
    from scalesim.topology_utils import topologies

    config = scale_config()
    big = 1 << 20  # KB per SRAM
    config.update_from_list(["validate", side, side, big, big, big, 0, 10_000_000, 20_000_000, dataflow,
                             "CALC", [10]])
    topology = topologies()
    topology.load_layer_params_from_list(layer.name, [layer.name, layer.ifmap, layer.ifmap, layer.filter,
                                                      layer.filter, layer.channels, layer.filters,
                                                      layer.stride, layer.stride])
    sim = single_layer_sim()
    with contextlib.redirect_stdout(io.StringIO()):  # SCALE-Sim prints progress
        sim.set_params(layer_id=0, config_obj=config, topology_obj=topology, verbose=False)
        sim.run()
        sim.calc_report_data()
    if sim.stall_cycles:
        raise RuntimeError(f"SCALE-Sim reports {sim.stall_cycles} stall cycles on {layer.name}")
    return int(sim.total_cycles)


def mapping(layer: ConvLayer, dataflow: str, side: int) -> str:
    """The maestroc network of one layer with the mapping that matches SCALE-Sim's (docs/validation.md)."""
    pixels, window, filters = layer.pixels, layer.window, layer.filters
    tile = min(side, pixels)
    if dataflow == "ws":  # K across columns, C' folded over the rows; pixels stream under a weight tile
        directives = [f"SpatialMap(1,1) K; TemporalMap({side},{side}) C; TemporalMap(1,1) Y;",
                      f"TemporalMap({pixels},{pixels}) X; Cluster({side}, P);",
                      "SpatialMap(1,1) C; TemporalMap(1,1) Y; TemporalMap(1,1) X;"]
    elif dataflow == "is":  # pixels across columns, a tile of A of C' down the rows; K streams under an input tile
        directives = [f"SpatialMap(1,1) X; TemporalMap({side},{side}) C; TemporalMap(1,1) Y;",
                      f"TemporalMap({filters},{filters}) K; Cluster({side}, P);",
                      "SpatialMap(1,1) C; TemporalMap(1,1) Y; TemporalMap(1,1) K;"]
    else:  # K across columns, a tile of `side` pixels down the rows; C' streams under an output tile
        directives = [f"SpatialMap(1,1) K; TemporalMap(1,1) Y; TemporalMap({tile},{tile}) X;",
                      f"TemporalMap({window},{window}) C;"]
        width = layer.out
        if width < side and side % width == 0 and pixels > width:  # a column: one sub-cluster per output row
            # A Cluster's size counts the clusters of the level below: side/width rows of `width` PEs.
            directives += [f"Cluster({side // width}, P); SpatialMap({width},{width}) X;",
                           f"TemporalMap({window},{window}) C; Cluster({width}, P);"]
        else:
            directives.append(f"Cluster({side}, P);")
        directives.append("SpatialMap(1,1) X; TemporalMap(1,1) C;")
    body = "\n      ".join(directives)
    return (f"Network V {{\n  Layer {layer.name} {{\n    Type: CONV\n"
            f"    Dimensions {{ K: {filters}, C: {window}, R: 1, S: 1, Y: 1, X: {pixels} }}\n"
            f"    Dataflow {{\n      {body}\n    }}\n  }}\n}}\n")


def maestroc_cycles(layer: ConvLayer, dataflow: str, side: int, topology: str) -> int:
    """maestroc's runtime of the matched mapping, with MAESTRO's timing or the systolic rules."""
    hardware = {"num_pes": side * side, "noc_bw_cstr": 2 * side, "NoC_NumHops": 1, "noc_topology": topology}
    result = maestroc.compile(mapping(layer, dataflow, side), hardware)
    return result.layers[0].runtime


def error(model: int, reference: int) -> float:
    """Relative error of a model's cycles, in per cent (for printing only; the cycles are exact)."""
    return 100.0 * (model - reference) / reference


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", default=",".join(map(str, SIDES)), help="array sides (default 16,32)")
    parser.add_argument("--layers", help="comma-separated layer names (default: all)")
    parser.add_argument("--dataflows", default=",".join(DATAFLOWS), help="default ws,os,is")
    args = parser.parse_args(argv)
    sides = [int(s) for s in args.sides.split(",")]
    dataflows = args.dataflows.split(",")
    chosen = [layer for layer in LAYERS if not args.layers or layer.name in args.layers.split(",")]
    errors: dict[tuple[str, int, str], list[float]] = {}
    print("| array | dataflow | layer (K, C, RxS/stride, output) | SCALE-Sim | MAESTRO model | systolic model |")
    print("|---|---|---|---|---|---|")
    for side in sides:
        for dataflow in dataflows:
            for layer in chosen:
                reference = scalesim_cycles(layer, dataflow, side)
                shape = (f"{layer.filters}, {layer.channels}, {layer.filter}x{layer.filter}/{layer.stride}, "
                         f"{layer.out}x{layer.out}")
                row = [f"{side}x{side}", dataflow.upper(), f"{layer.name} ({shape})", f"{reference:,}"]
                for topology in ("maestro", "systolic"):
                    cycles = maestroc_cycles(layer, dataflow, side, topology)
                    errors.setdefault((topology, side, dataflow), []).append(abs(error(cycles, reference)))
                    row.append(f"{cycles:,} ({error(cycles, reference):+.1f}%)")
                print("| " + " | ".join(row) + " |", flush=True)
    print()
    print("| array | dataflow | layers | MAESTRO model: mean abs error (worst) | systolic model: mean abs error (worst) |")
    print("|---|---|---|---|---|")
    for side in sides:
        for dataflow in dataflows:
            cells = []
            for topology in ("maestro", "systolic"):
                values = errors[(topology, side, dataflow)]
                cells.append(f"{sum(values) / len(values):.1f}% ({max(values):.1f}%)")
            print(f"| {side}x{side} | {dataflow.upper()} | {len(chosen)} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
