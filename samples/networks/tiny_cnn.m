// A tiny CNN that exercises every layer shape maestroc cares about:
// a 7x7 stride-2 stem, a 3x3 convolution, a 1x1 projection, a depthwise
// convolution and a fully connected layer written as a GEMM.
Constant KTile 16;

Network TinyCNN {
  Layer stem_7x7_s2 {
    Type: CONV
    Stride { X: 2, Y: 2 }
    Dimensions { K: 32, C: 3, R: 7, S: 7, Y: 64, X: 64 }
    Dataflow {
      // KC-P weight stationary: K across sub-clusters, C across PEs.
      SpatialMap(1,1) K;
      TemporalMap(KTile,KTile) C;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
      Cluster(KTile, P);
      SpatialMap(1,1) C;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
    }
  }

  Layer conv_3x3 {
    Type: CONV
    Dimensions { K: 64, C: 32, R: 3, S: 3, Y: 29, X: 29 }
    Dataflow {
      // X-P weight stationary: output columns across PEs.
      TemporalMap(1,1) K;
      TemporalMap(1,1) C;
      TemporalMap(Sz(R),1) Y;
      SpatialMap(Sz(S),1) X;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
    }
  }

  Layer proj_1x1 {
    Type: CONV
    Dimensions { K: 128, C: 64, R: 1, S: 1, Y: 27, X: 27 }
    Dataflow {
      SpatialMap(1,1) K;
      TemporalMap(KTile,KTile) C;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
      Cluster(KTile, P);
      SpatialMap(1,1) C;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
    }
  }

  Layer depthwise_3x3 {
    Type: DSCONV
    Dimensions { K: 1, C: 128, R: 3, S: 3, Y: 27, X: 27 }
    Dataflow {
      // Depthwise: channels across PEs, the window slides in time.
      SpatialMap(1,1) C;
      TemporalMap(Sz(R),1) Y;
      TemporalMap(Sz(S),1) X;
      TemporalMap(Sz(R),Sz(R)) R;
      TemporalMap(Sz(S),Sz(S)) S;
    }
  }

  Layer classifier {
    Type: GEMM
    Dimensions { M: 1, K: 1024, N: 10 }
    Dataflow {
      TemporalMap(1,1) M;
      SpatialMap(1,1) N;
      TemporalMap(64,64) K;
      Cluster(8, P);
      TemporalMap(1,1) M;
      TemporalMap(1,1) N;
      SpatialMap(1,1) K;
    }
  }
}
