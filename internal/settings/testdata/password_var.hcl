dataplaneapi {
  user "admin" {
    password = "${DP_SECRET}"
    insecure = true
  }
}
