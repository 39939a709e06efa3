// YK-P output-stationary: output rows across sub-clusters, output channels across
// the 16 PEs of each. (MAESTRO's own ykp_os template maps R/S with offset 7, which
// MAESTRO rejects; here the filter is mapped whole, as MAESTRO requires.)
Dataflow {
  TemporalMap(16,16) K;
  SpatialMap(Sz(R),1) Y;
  TemporalMap(Sz(S),1) X;
  TemporalMap(1,1) C;
  Cluster(16, P);
  SpatialMap(1,1) K;
  TemporalMap(Sz(R),1) Y;
  TemporalMap(Sz(S),1) X;
  TemporalMap(Sz(R),Sz(R)) R;
  TemporalMap(Sz(S),Sz(S)) S;
}
