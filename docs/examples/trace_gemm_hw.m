num_pes: 8
noc_bw_cstr: 2
offchip_bw_cstr: 4
