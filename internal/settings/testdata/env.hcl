dataplaneapi {
  user "attr" {
    password = env.ADMIN_PASSWORD
    insecure = true
  }
  user "template" {
    password = "pre-${env.SUFFIX}"
    insecure = true
  }
  user "index" {
    password = env["INDEXED"]
    insecure = true
  }
  user "literal" {
    password = "$${ADMIN_PASSWORD}"
    insecure = true
  }
  user "hash" {
    password = "$6$rounds=5000$salt$hash"
  }
  port = null
}
