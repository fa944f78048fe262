dataplaneapi {
  prot = 5555
  usr "admin" {
    password = "x"
  }
}
haproxy {
  reload {
    reload_retentio = 100
  }
}
logging {
}
