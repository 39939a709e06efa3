// GEMM (fully connected layers, attention): output columns N across sub-clusters,
// the reduction K across the 64 PEs of each.
Dataflow {
  TemporalMap(1,1) M;
  SpatialMap(1,1) N;
  TemporalMap(64,64) K;
  Cluster(64, P);
  TemporalMap(1,1) M;
  TemporalMap(1,1) N;
  SpatialMap(1,1) K;
}
