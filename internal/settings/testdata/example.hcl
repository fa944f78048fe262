dataplaneapi {
  host = "127.0.0.1"
  port = 5555
  user "admin" {
    password = "adminpwd"
    insecure = true
  }
  userlist {
    userlist      = "controller"
    userlist_file = ""
  }
  transaction {
    transaction_dir       = "/tmp/dataplane"
    backups_number        = 0
    max_open_transactions = 20
  }
}
haproxy {
  config_file    = "/etc/haproxy/haproxy.cfg"
  haproxy_bin    = "haproxy"
  master_runtime = ""
  reload {
    reload_delay    = 5
    reload_timeout  = "60s"
    reload_cmd      = ""
    restart_cmd     = ""
    reload_strategy = ""
  }
}
log {
  log_level  = "info"
  log_format = "text"
}
metrics {
  auth = true
}
