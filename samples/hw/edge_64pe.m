// A small edge accelerator: 64 PEs, narrow NoC.
num_pes:         64
l1_size_cstr:    512
l2_size_cstr:    65536
noc_bw_cstr:     32
offchip_bw_cstr: 16
NoC_NumHops:     1
