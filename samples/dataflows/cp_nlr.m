// C-P, no local reuse (DianNao-like): input channels across PEs, nothing kept.
TemporalMap(1,1) K;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
SpatialMap(1,1) C;
