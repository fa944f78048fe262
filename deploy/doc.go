// Package deploy holds the files that run dataplane under Prometheus and
// Grafana (scrape configuration, alert rules with their unit tests, a
// dashboard); its tests check them with promtool, a real Prometheus and a
// real dataplane.
package deploy
