dataplaneapi {
  user "admin" {
    password = "${ADMIN_PASSWORD}"
    insecure = true
  }
  host = HOST
  port = upper("x")
}
