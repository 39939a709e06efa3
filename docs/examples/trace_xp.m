// Trace 1 of docs/costmodel-traces.md: one level, X-P on a tiny CONV with a spatial edge.
Network T1 {
Layer XP {
  Type: CONV
  Dimensions { K: 4, C: 3, R: 3, S: 3, Y: 6, X: 6 }
  Dataflow {
    TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y; SpatialMap(Sz(S),1) X;
    TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
  }
}
}
