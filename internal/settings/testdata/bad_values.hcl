dataplaneapi {
  port          = 70000
  max_body_size = 0
  read_timeout  = "soon"
  write_timeout = "-1s"
  transaction {
    transaction_dir       = ""
    backups_number        = -1
    max_open_transactions = 0
  }
}
haproxy {
  config_file = ""
  reload {
    reload_delay    = -5
    reload_strategy = "custom"
    reload_timeout  = "-3s"
  }
}
log {
  log_level  = "loud"
  log_format = "xml"
}
