// Trace 3 of docs/costmodel-traces.md: a GEMM with a Cluster, uneven M and K.
Network T3 {
Layer MM {
  Type: GEMM
  Dimensions { K: 7, M: 5, N: 3 }
  Dataflow {
    TemporalMap(1,1) N; SpatialMap(1,1) M; TemporalMap(4,4) K;
    Cluster(4,P);
    TemporalMap(1,1) N; TemporalMap(1,1) M; SpatialMap(1,1) K;
  }
}
}
