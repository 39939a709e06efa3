// MAERI-style: output channels across "virtual neurons" of Sz(R) x Sz(S) PEs, each
// PE of a neuron holding one filter weight.
Dataflow {
  TemporalMap(1,1) C;
  SpatialMap(1,1) K;
  TemporalMap(1,1) Y';
  TemporalMap(1,1) X';
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
  Cluster(Sz(R), P);
  SpatialMap(1,1) Y;
  SpatialMap(1,1) R;
  Cluster(Sz(S), P);
  SpatialMap(1,1) X;
  SpatialMap(1,1) S;
}
