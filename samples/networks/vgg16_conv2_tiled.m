// VGG16's second convolution with a KC-P (weight-stationary) dataflow whose C tile
// and cluster size are Constants, so `maestroc dse` can sweep them with the hardware
// (see docs/dse.md).
Constant CTile 64;

Network VGG16_CONV2 {
  Layer CONV2 {
    Type: CONV
    Dimensions { K: 64, C: 64, R: 3, S: 3, Y: 224, X: 224 }
    Dataflow {
      SpatialMap(1,1) K;
      TemporalMap(CTile,CTile) C;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
      Cluster(CTile, P);
      SpatialMap(1,1) C;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
    }
  }
}
