// CK-P weight-stationary: input channels C across sub-clusters, output channels K
// across the 64 PEs of each; the filter stays in place while outputs stream.
Dataflow {
  SpatialMap(1,1) C;
  TemporalMap(64,64) K;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  TemporalMap(1,1) Y';
  TemporalMap(1,1) X';
  Cluster(64, P);
  SpatialMap(1,1) K;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
}
