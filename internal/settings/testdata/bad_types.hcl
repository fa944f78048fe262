dataplaneapi {
  port             = "http"
  show_system_info = "maybe"
  max_body_size    = 1.5
  read_timeout     = 30
  user "admin" {
    password = ["a", "b"]
    insecure = "yes"
  }
}
metrics {
  auth = {}
}
