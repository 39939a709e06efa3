// X-P weight-stationary: output columns across PEs, the filter row stays put.
Dataflow {
  TemporalMap(1,1) K;
  TemporalMap(1,1) C;
  TemporalMap(Sz(R),1) Y;
  SpatialMap(Sz(S),1) X;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
}
