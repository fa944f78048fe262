dataplaneapi {
  user "admin" {
    password = "a"
    insecure = true
  }
  user "admin" {
    password = "b"
    insecure = true
  }
  user "nopass" {
    insecure = true
  }
  user "" {
    password = env.UNSET_PASSWORD
  }
  user {
    password = "x"
  }
  user "root" {
    password = "r"
    role     = "root"
  }
}
