dataplaneapi {
  prot = 5555
  usr "admin" {
    password = "x"
  }
}
haproxy {
  reload {
    reload_retention = 100
  }
}
logging {
}
