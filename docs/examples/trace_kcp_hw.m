num_pes: 8
noc_bw_cstr: 3
offchip_bw_cstr: 8
