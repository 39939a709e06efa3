// A cloud-scale design: 1024 PEs, wide NoC and memory interface.
num_pes:         1024
l1_size_cstr:    2048
l2_size_cstr:    4194304
noc_bw_cstr:     1024
offchip_bw_cstr: 256
NoC_NumHops:     2
