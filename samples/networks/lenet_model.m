// LeNet-5 as a model file: layer shapes only, no dataflow (see `maestroc apply-dataflow`).
Network LeNet5 {
  Layer conv1 {
    Type: CONV
    Dimensions { K: 6, C: 1, R: 5, S: 5, Y: 32, X: 32 }
  }
  Layer conv2 {
    Type: CONV
    Dimensions { K: 16, C: 6, R: 5, S: 5, Y: 14, X: 14 }
  }
  Layer fc1 {
    Type: GEMM
    Dimensions { M: 1, K: 400, N: 120 }
  }
  Layer fc2 {
    Type: GEMM
    Dimensions { M: 1, K: 120, N: 84 }
  }
}
