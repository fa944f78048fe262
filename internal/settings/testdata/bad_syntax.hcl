dataplaneapi {
  port = 5555
  host = "127.0.0.1
}
