log {
  log_level = "debug"
}
log {
  log_level = "warn"
}
