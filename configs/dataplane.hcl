# dataplane's own configuration. `make run` uses this file as is and points
# config_file and transaction_dir at its run directory with flags.
dataplaneapi {
  host = "127.0.0.1"
  port = 5555

  # Repeatable. password takes a crypt(3) hash ($1$, $5$, $6$, $y$) or a
  # bcrypt hash ($2a$, $2b$, $2y$); plain text only with insecure = true.
  # Without user blocks, users come from the HAProxy userlist below.
  user "admin" {
    password = "adminpwd"
    insecure = true
    # role: "read-only" (GETs), "operator" (GETs and runtime operations)
    # or "admin" (everything, the default).
    role = "admin"
  }

  # HTTPS, and mTLS with tls_ca (see README "HTTPS and mTLS"). Plain http
  # is for loopback set-ups; list both to keep it beside https.
  # scheme = ["http", "https"]
  # tls {
  #   tls_port             = 5556
  #   tls_certificate      = "/etc/dataplane/server.pem"
  #   tls_key              = "/etc/dataplane/server.key"
  #   tls_ca               = "/etc/dataplane/clients-ca.pem"
  #   tls_client_auth      = "required"  # or "optional": no certificate, basic auth
  #   tls_client_user_from = "cn"        # the certificate's CN is the API user
  # }

  userlist {
    userlist      = "controller"
    userlist_file = ""
  }

  transaction {
    transaction_dir       = "/tmp/dataplane"
    backups_number        = 0
    max_open_transactions = 20
  }

  # Directories of the storage API (maps, certificates, other files).
  # Empty: maps/, ssl/ and general/ inside transaction_dir.
  resources {
    maps_dir            = ""
    ssl_certs_dir       = ""
    general_storage_dir = ""
  }
}

haproxy {
  config_file    = "/etc/haproxy/haproxy.cfg"
  haproxy_bin    = "haproxy"
  # The master CLI socket; taken from HAPROXY_MASTER_CLI when dataplane is
  # launched from a program section.
  master_runtime = ""

  reload {
    reload_delay    = 5
    # How long one reload may take: the reload command (killed with what it
    # started when it runs past it) and the wait for HAProxy's new process.
    reload_timeout  = "60s"
    reload_cmd      = ""
    # When HAProxy's master is gone (killed, or exited on a file the host
    # could not run), dataplane starts HAProxy again with the last
    # configuration that ran: with restart_cmd when set, else with the
    # command line the master had. Launched from a program section (as
    # here), it only reports: HAProxy's service starts HAProxy.
    restart_cmd       = ""
    restart_when_down = true
    reload_strategy   = ""
  }
}

log {
  log_level  = "info"
  log_format = "text"
}

# Fleet mode (off unless endpoints are given): this node keeps its
# configuration in etcd with the other nodes of the fleet, and applies what
# any of them commits. See README, "Fleet mode".
# fleet {
#   endpoints       = ["http://127.0.0.1:2379"]
#   prefix          = "/dataplane"
#   node            = "lb-1"
#   request_timeout = "5s"
#   resync          = "2s"
#   retry_failed    = "30s"   # a version this node could not apply is tried again after this
# }
