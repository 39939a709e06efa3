// The default design of the maestroc samples: 256 PEs.
num_pes:         256
l1_size_cstr:    1024
l2_size_cstr:    262144
noc_bw_cstr:     256
offchip_bw_cstr: 64
NoC_NumHops:     1
num_simd_lanes:  1
