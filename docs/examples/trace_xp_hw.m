num_pes: 3
noc_bw_cstr: 4
offchip_bw_cstr: 8
