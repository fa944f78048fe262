package api

import (
	"testing"

	"dataplane/internal/config"
)

// The fully populated models of the kinds newer than HAProxy 2.6
// (config/newkinds.go), checked against their schemas like the others.

const newKindsConfig = "frontend fe\n    mode http\ncrt-store st\n    crt-base /etc/ssl\nhealthcheck hc\n    type tcp-check\n"

func fullCrtLoad() config.CrtLoad {
	return config.CrtLoad{Certificate: "site.pem", Acme: "le", Alias: "site", Domains: []string{"a.example.com", "b.example.com"},
		Issuer: "site.issuer", Key: "site.key", Ocsp: "site.ocsp", OcspUpdate: "enabled", Sctl: "site.sctl"}
}

func fullSSLFrontUse() config.SSLFrontUse {
	return config.SSLFrontUse{Certificate: "/etc/ssl/site.pem", Allow0rtt: true, Alpn: "h2,http/1.1", CaFile: "/etc/ssl/ca.pem",
		Ciphers: "ECDHE+AESGCM", Ciphersuites: "TLS_AES_128_GCM_SHA256", ClientSigalgs: "RSA+SHA256", CrlFile: "/etc/ssl/crl.pem",
		Curves: "X25519:P-256", Ecdhe: "prime256v1", Issuer: "/etc/ssl/issuer.pem", Key: "/etc/ssl/site.key", NoAlpn: true,
		NoCaNames: true, Npn: "http/1.1", Ocsp: "/etc/ssl/site.ocsp", OcspUpdate: "disabled", Sctl: "/etc/ssl/site.sctl",
		Sigalgs: "ECDSA+SHA256", SslMaxVer: "TLSv1.3", SslMinVer: "TLSv1.2", Verify: "optional"}
}

func init() {
	registerRuleModel(ruleModel{
		schema: "ssl_front_use", list: "ssl_front_uses", full: fullSSLFrontUse(),
		variants: []any{config.SSLFrontUse{Unmodelled: verbatim("ssl-f-use crt a.pem some-future-param x")}},
		check:    addNewKindItem(config.SSLFrontUses, config.KindFrontend, "fe"),
	})
	registerRuleModel(ruleModel{
		schema: "force_be_switch", list: "force_be_switches",
		full:     config.ForceBeSwitch{Condition: config.Condition{Cond: "if", CondTest: "{ src 10.0.0.1 }"}},
		variants: []any{config.ForceBeSwitch{Unmodelled: verbatim("force-be-switch")}},
		check:    addNewKindItem(config.ForceBeSwitches, config.KindFrontend, "fe"),
	})
}

// addNewKindItem is addItem on a file holding the parents of the new kinds.
func addNewKindItem(c config.ChildResource, kind, name string) goCheck {
	return func(t *testing.T, v any) error {
		p := config.Parent{Kind: kind, Name: name}
		_, _, err := c.Create(parseDoc(t, newKindsConfig), p, config.Key{Append: true}, v)
		return err
	}
}

func createNewKind(path string) goCheck {
	return func(t *testing.T, v any) error {
		for _, sec := range config.SectionResources() {
			if sec.Info().Path == path {
				_, _, err := sec.Create(parseDoc(t, newKindsConfig), v)
				return err
			}
		}
		t.Fatalf("no section kind at %s", path)
		return nil
	}
}

func newKindModelCases() []modelCase {
	return []modelCase{
		{"crt_store", config.CrtStore{Name: "st2", CrtBase: "/etc/ssl/certs", KeyBase: "/etc/ssl/private"}, createNewKind("crt_stores"), nil},
		{"crt_load", fullCrtLoad(), func(t *testing.T, v any) error {
			_, _, err := config.CrtLoads.Create(parseDoc(t, newKindsConfig), config.Parent{Kind: config.KindCrtStore, Name: "st"}, config.Key{}, v)
			return err
		}, nil},
		{"log_profile", config.LogProfile{Name: "lp", LogTag: "app", Steps: []config.LogProfileStep{
			{Step: "http-req", Drop: "enabled", Format: `"%ci %r"`, Sd: `"[x]"`}}}, createNewKind("log_profiles"), nil},
		{"acme_provider", config.AcmeProvider{Name: "le", AccountKey: "/etc/ssl/le.key", AcmeProvider: "ovh", Bits: i64(4096),
			Challenge: "dns-01", ChallengeReady: []string{"cli", "dns"}, Contact: "ops@example.com", Curves: "P-384",
			Directory: "https://acme.example.com/dir", Keytype: "ECDSA", Map: "virt@acme", Profile: "shortlived", ReuseKey: "enabled"},
			createNewKind("acme"), nil},
		{"healthcheck", config.Healthcheck{Name: "hc2", HealthcheckType: config.HealthcheckType{Type: "httpchk",
			HttpchkParams: &config.HttpchkParams{Method: "GET", URI: "/health", Version: "HTTP/1.1", Host: "www.example.com"}}},
			createNewKind("healthchecks"), fixHealthcheck},
	}
}

// healthcheckVariants set the parameters of the other check types.
func healthcheckVariants() []any {
	return []any{
		config.Healthcheck{Name: "hc2", HealthcheckType: config.HealthcheckType{Type: "mysql-check",
			MysqlCheckParams: &config.MysqlCheckParams{Username: "haproxy", ClientVersion: "post-41"}}},
		config.Healthcheck{Name: "hc2", HealthcheckType: config.HealthcheckType{Type: "pgsql-check",
			PgsqlCheckParams: &config.PgsqlCheckParams{Username: "haproxy"}}},
		config.Healthcheck{Name: "hc2", HealthcheckType: config.HealthcheckType{Type: "smtpchk",
			SmtpchkParams: &config.SmtpchkParams{Hello: "EHLO", Domain: "example.com"}}},
	}
}

// fixHealthcheck keeps the parameters that go with the type under test.
func fixHealthcheck(body map[string]any) {
	body["adv_check"] = body["type"]
	fixHttpchk(body)
	body["type"] = body["adv_check"]
	delete(body, "adv_check")
	if body["type"] == "spop-check" {
		for _, p := range []string{"httpchk_params", "mysql_check_params", "pgsql_check_params", "smtpchk_params"} {
			delete(body, p)
		}
	}
}
