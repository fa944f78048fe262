haproxy {
  reload {
    reload_strategy = "systemd"
  }
}
