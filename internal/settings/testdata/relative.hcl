dataplaneapi {
  userlist {
    userlist_file = "users.cfg"
  }
  transaction {
    transaction_dir = "tx"
    backups_dir     = "../backups"
  }
}
haproxy {
  config_file    = "conf/haproxy.cfg"
  master_runtime = "run/master.sock"
  reload {
    pid_file = "./run/haproxy.pid"
  }
}
