// YX-P output-stationary (ShiDianNao-like): output rows across sub-clusters, output
// columns across the 8 PEs of each; partial sums stay in the PEs.
Dataflow {
  TemporalMap(1,1) K;
  TemporalMap(1,1) C;
  SpatialMap(Sz(R),1) Y;
  TemporalMap(10,8) X;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  Cluster(8, P);
  SpatialMap(Sz(S),1) X;
  TemporalMap(Sz(S),Sz(S)) S;
}
