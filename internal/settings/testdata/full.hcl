# Every attribute set to a value other than its default.
dataplaneapi {
  host             = "0.0.0.0"
  port             = 8080
  max_body_size    = 1048576
  show_system_info = true
  read_timeout     = "10s"
  write_timeout    = "2m30s"
  # The anchor writes scheme as a list.
  scheme           = ["http", "https"]
  tls {
    tls_host             = "192.0.2.1"
    tls_port             = 8443
    tls_certificate      = "/etc/dataplane/server.pem"
    tls_key              = "/etc/dataplane/server.key"
    tls_ca               = "/etc/dataplane/clients-ca.pem"
    tls_client_auth      = "optional"
    tls_client_user_from = "cn"
    tls_listen_limit     = 50
    tls_keep_alive       = "1m"
    tls_read_timeout     = "20s"
    tls_write_timeout    = "1m"
  }
  user "admin" {
    password = "$6$salt$hash"
  }
  user "ops" {
    password = "plain"
    insecure = true
    role     = "operator"
  }
  userlist {
    userlist      = "api"
    userlist_file = "/etc/haproxy/users.cfg"
  }
  transaction {
    transaction_dir       = "/var/lib/dataplane/tx"
    backups_number        = 3
    backups_dir           = "/var/lib/dataplane/backups"
    max_open_transactions = 5
  }
  audit {
    audit_file     = "/var/lib/dataplane/audit.log"
    audit_max_size = "1MiB"
  }
}
haproxy {
  config_file    = "/srv/haproxy.cfg"
  haproxy_bin    = "/usr/sbin/haproxy"
  master_runtime = "/run/haproxy-master.sock"
  reload {
    reload_delay    = 0
    reload_timeout  = "1m30s"
    reload_cmd      = "systemctl reload haproxy"
    restart_cmd     = "systemctl restart haproxy"
    restart_when_down = false
    reload_strategy = "custom"
    pid_file        = "/run/haproxy.pid"
  }
}
log {
  log_level  = "debug"
  log_format = "json"
}
metrics {
  auth = false
}
fleet {
  endpoints       = ["http://127.0.0.1:2379", "http://127.0.0.1:22379"]
  prefix          = "/dataplane/prod"
  node            = "lb-1"
  request_timeout = "3s"
  resync          = "1s"
  retry_failed    = "10s"
}
