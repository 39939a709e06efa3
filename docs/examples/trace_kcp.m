// Trace 2 of docs/costmodel-traces.md: two levels, a partial C tile, edges at both levels.
Network T2 {
Layer KCP {
  Type: CONV
  Dimensions { K: 5, C: 12, R: 3, S: 3, Y: 5, X: 5 }
  Dataflow {
    SpatialMap(1,1) K; TemporalMap(9,9) C; TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
    TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
    Cluster(4,P);
    SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X;
    TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;
  }
}
}
