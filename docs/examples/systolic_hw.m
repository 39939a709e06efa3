num_pes:     16
noc_bw_cstr: 8
NoC_NumHops: 1
