// docs/systolic.md's worked example: a weight-stationary GEMM-like layer (a 1x1 CONV)
// on 16 PEs as a 4x4 systolic array: K across the 4 columns, C down the 4 rows of each.
Network SW {
  Layer WS {
    Type: CONV
    Dimensions { K: 8, C: 8, R: 1, S: 1, Y: 1, X: 6 }
    Dataflow {
      SpatialMap(1,1) K;
      TemporalMap(4,4) C;
      TemporalMap(1,1) Y;
      TemporalMap(6,6) X;
      Cluster(4, P);
      SpatialMap(1,1) C;
      TemporalMap(1,1) Y;
      TemporalMap(1,1) X;
    }
  }
}
