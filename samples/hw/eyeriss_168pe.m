// An Eyeriss-like array: 12 x 14 PEs on a hierarchical bus of 14 elements/cycle.
num_pes:         168
l1_size_cstr:    512
l2_size_cstr:    108000
noc_bw_cstr:     14
offchip_bw_cstr: 16
NoC_NumHops:     1
