// YR-P row-stationary (Eyeriss-like): output rows across clusters of Sz(R) PEs; in a
// cluster each PE holds one filter row and one input row.
Dataflow {
  SpatialMap(1,1) Y';
  TemporalMap(1,1) X';
  TemporalMap(1,1) C;
  TemporalMap(16,16) K;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  Cluster(Sz(R), P);
  SpatialMap(1,1) Y;
  SpatialMap(1,1) R;
  TemporalMap(Sz(S),Sz(S)) S;
}
