package config

import (
	"strings"
	"sync/atomic"
)

// The section kinds and keywords newer than HAProxy 2.6 (issue 11, item
// 5): crt-store (3.0), log-profile (3.1), acme (3.2), ssl-f-use (3.2),
// healthcheck (3.4) and force-be-switch (3.4). They are read from files
// that hold them and written like any other resource; HAProxy 2.6 refuses
// them at `haproxy -c`, so on 2.6 every write of them answers 400 with
// HAProxy's message and nothing changes. config-parser v5 knows none of
// them: their lines are read here, on words.

const (
	KindCrtStore    = "crt-store"
	KindLogProfile  = "log-profile"
	KindAcme        = "acme"
	KindHealthcheck = "healthcheck"
	KindTraces      = "traces"
)

// --- crt-store ---------------------------------------------------------------

// CrtStore is a `crt-store <name>` section, the Data Plane API v3
// `crt_store` model; its `load` lines are the collection CrtLoads.
type CrtStore struct {
	Name    string `json:"name"`
	CrtBase string `json:"crt_base,omitempty"`
	KeyBase string `json:"key_base,omitempty"`
	Meta           // metadata: the trailing comment of its header line (metadata.go)
}

var crtStoreModel = registerSection(&sectionModel[CrtStore]{
	info: SectionInfo{Kind: KindCrtStore, Path: "crt_stores", OpName: "CrtStore", Tag: "CrtStore", Schema: "crt_store",
		OpIDs: map[string]string{"replace": "editCrtStore"}, Templated: true},
	fields: fieldSet[CrtStore]{
		oneWordField("crt_base", []string{"crt-base"}, func(m *CrtStore) *string { return &m.CrtBase }),
		oneWordField("key_base", []string{"key-base"}, func(m *CrtStore) *string { return &m.KeyBase }),
	},
	name:  func(m *CrtStore) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// CrtLoad is a `load crt <certificate> [<param> <value>]...` line of a
// crt-store section.
type CrtLoad struct {
	Certificate string   `json:"certificate"`
	Acme        string   `json:"acme,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	Domains     []string `json:"domains,omitempty"`
	Issuer      string   `json:"issuer,omitempty"`
	Key         string   `json:"key,omitempty"`
	Ocsp        string   `json:"ocsp,omitempty"`
	OcspUpdate  string   `json:"ocsp_update,omitempty"`
	Sctl        string   `json:"sctl,omitempty"`
	Meta                 // metadata: the trailing comment of its line (metadata.go)
}

// crtLoadParams: the words of a load line after `load`, in the order new
// lines get them.
var crtLoadParams = []lineParam[CrtLoad]{
	{kw: "crt", json: "certificate", str: func(m *CrtLoad) *string { return &m.Certificate }},
	{kw: "key", json: "key", str: func(m *CrtLoad) *string { return &m.Key }},
	{kw: "ocsp", json: "ocsp", str: func(m *CrtLoad) *string { return &m.Ocsp }},
	{kw: "issuer", json: "issuer", str: func(m *CrtLoad) *string { return &m.Issuer }},
	{kw: "sctl", json: "sctl", str: func(m *CrtLoad) *string { return &m.Sctl }},
	{kw: "alias", json: "alias", str: func(m *CrtLoad) *string { return &m.Alias }},
	{kw: "ocsp-update", json: "ocsp_update", str: func(m *CrtLoad) *string { return &m.OcspUpdate }, onOff: true},
	{kw: "acme", json: "acme", str: func(m *CrtLoad) *string { return &m.Acme }},
	{kw: "domains", json: "domains", list: func(m *CrtLoad) *[]string { return &m.Domains }},
}

// CrtLoads are the `load` lines of crt-store sections, keyed by their
// certificate: /crt_stores/{crt_store}/crt_loads/{certificate}.
var CrtLoads = Register(&Collection[CrtLoad]{
	Name: "crt-load", Path: "crt_loads", OpName: "CrtLoad", Tag: "CrtLoad", Schema: "crt_load", Keyword: "load",
	Parents: []string{KindCrtStore}, FullSection: "crt_loads",
	PluralListOps: true, ParentParam: "crt_store", PathKey: "certificate",
	Parse: func(l Line) (CrtLoad, bool) {
		var m CrtLoad
		if !parseParams(l.Words[1:], crtLoadParams, &m) || m.Certificate == "" {
			return CrtLoad{}, false
		}
		return m, true
	},
	Render: func(m *CrtLoad, _ *Line) []string { return append([]string{"load"}, renderParams(m, crtLoadParams)...) },
	Check: func(m *CrtLoad) error {
		if m.Certificate == "" {
			return invalid("certificate", "is required")
		}
		return checkParams(m, crtLoadParams)
	},
	Key:    func(m *CrtLoad) string { return m.Certificate },
	SetKey: func(m *CrtLoad, n string) { m.Certificate = n },
})

// --- log-profile -------------------------------------------------------------

// LogProfile is a `log-profile <name>` section: `log-tag` and one
// `on <step> ...` line per step.
type LogProfile struct {
	Name   string           `json:"name"`
	LogTag string           `json:"log_tag,omitempty"`
	Steps  []LogProfileStep `json:"steps,omitempty"`
	Meta                    // metadata: the trailing comment of its header line (metadata.go)
}

// LogProfileStep is `on <step> [drop] [format <fmt>] [sd <fmt>]`. The
// formats are one word each, as written (quotes included).
type LogProfileStep struct {
	Step   string `json:"step"`
	Drop   string `json:"drop,omitempty"`
	Format string `json:"format,omitempty"`
	Sd     string `json:"sd,omitempty"`
}

var logProfileSteps = []string{"accept", "any", "close", "connect", "error", "request", "response",
	"http-req", "http-res", "http-after-res", "quic-init", "tcp-req-conn", "tcp-req-cont", "tcp-req-sess"}

var logProfileModel = registerSection(&sectionModel[LogProfile]{
	info: SectionInfo{Kind: KindLogProfile, Path: "log_profiles", OpName: "LogProfile", Tag: "LogProfile", Schema: "log_profile",
		OpIDs: map[string]string{"replace": "editLogProfile"}, Templated: true},
	fields: fieldSet[LogProfile]{
		oneWordField("log_tag", []string{"log-tag"}, func(m *LogProfile) *string { return &m.LogTag }),
		lineListField("steps", "on", func(m *LogProfile) *[]LogProfileStep { return &m.Steps },
			parseLogProfileStep, renderLogProfileStep, checkLogProfileStep),
	},
	name:  func(m *LogProfile) *string { return &m.Name },
	cache: func(s *Section) *atomic.Value { return &s.model },
})

func parseLogProfileStep(l Line) (LogProfileStep, bool) {
	w := l.Words
	if len(w) < 2 {
		return LogProfileStep{}, false
	}
	st := LogProfileStep{Step: w[1]}
	for i := 2; i < len(w); i++ {
		switch {
		case w[i] == "drop" && st.Drop == "":
			st.Drop = "enabled"
		case w[i] == "format" && st.Format == "" && i+1 < len(w):
			i++
			st.Format = w[i]
		case w[i] == "sd" && st.Sd == "" && i+1 < len(w):
			i++
			st.Sd = w[i]
		default:
			return LogProfileStep{}, false
		}
	}
	return st, checkLogProfileStep("step", &st) == nil
}

func renderLogProfileStep(st *LogProfileStep) []string {
	w := []string{"on", st.Step}
	if st.Drop == "enabled" {
		w = append(w, "drop")
	}
	if st.Format != "" {
		w = append(w, "format", st.Format)
	}
	if st.Sd != "" {
		w = append(w, "sd", st.Sd)
	}
	return w
}

func checkLogProfileStep(field string, st *LogProfileStep) error {
	if err := checkEnum(field+".step", st.Step, logProfileSteps...); err != nil {
		return err
	}
	if st.Drop != "" {
		if err := checkEnum(field+".drop", st.Drop, onOff...); err != nil {
			return err
		}
	}
	if st.Format != "" {
		if err := checkOneWord(field+".format", st.Format); err != nil {
			return err
		}
	}
	if st.Sd != "" {
		return checkOneWord(field+".sd", st.Sd)
	}
	return nil
}

// --- acme --------------------------------------------------------------------

// AcmeProvider is an `acme <name>` section, the Data Plane API v3
// `acme_provider` model. Not modelled (see api/spec/sections/acme.yaml):
// acme_vars, dns_delay and dns_timeout.
type AcmeProvider struct {
	Name           string   `json:"name"`
	AccountKey     string   `json:"account_key,omitempty"`
	AcmeProvider   string   `json:"acme_provider,omitempty"`
	Bits           *int64   `json:"bits,omitempty"`
	Challenge      string   `json:"challenge,omitempty"`
	ChallengeReady []string `json:"challenge_ready,omitempty"`
	Contact        string   `json:"contact,omitempty"`
	Curves         string   `json:"curves,omitempty"`
	Directory      string   `json:"directory"`
	Keytype        string   `json:"keytype,omitempty"`
	Map            string   `json:"map,omitempty"`
	Profile        string   `json:"profile,omitempty"`
	ReuseKey       string   `json:"reuse_key,omitempty"`
	Meta                    // metadata: the trailing comment of its header line (metadata.go)
}

var acmeModel = registerSection(&sectionModel[AcmeProvider]{
	info: SectionInfo{Kind: KindAcme, Path: "acme", OpName: "AcmeProvider", Tag: "Acme", Schema: "acme_provider",
		OpIDs: map[string]string{"replace": "editAcmeProvider"}, Templated: true},
	fields: fieldSet[AcmeProvider]{
		oneWordField("directory", []string{"directory"}, func(m *AcmeProvider) *string { return &m.Directory }),
		oneWordField("contact", []string{"contact"}, func(m *AcmeProvider) *string { return &m.Contact }),
		oneWordField("account_key", []string{"account-key"}, func(m *AcmeProvider) *string { return &m.AccountKey }),
		oneWordField("acme_provider", []string{"provider-name"}, func(m *AcmeProvider) *string { return &m.AcmeProvider }),
		// HAProxy reads the challenge in any case (HTTP-01 is common).
		oneWordField("challenge", []string{"challenge"}, func(m *AcmeProvider) *string { return &m.Challenge }),
		commaListField("challenge_ready", []string{"challenge-ready"}, []string{"cli", "dns", "none"}, func(m *AcmeProvider) *[]string { return &m.ChallengeReady }),
		oneWordField("keytype", []string{"keytype"}, func(m *AcmeProvider) *string { return &m.Keytype }),
		intField("bits", []string{"bits"}, 1024, 1<<16, func(m *AcmeProvider) **int64 { return &m.Bits }),
		oneWordField("curves", []string{"curves"}, func(m *AcmeProvider) *string { return &m.Curves }),
		oneWordField("map", []string{"map"}, func(m *AcmeProvider) *string { return &m.Map }),
		oneWordField("profile", []string{"profile"}, func(m *AcmeProvider) *string { return &m.Profile }),
		onOffField("reuse_key", []string{"reuse-key"}, func(m *AcmeProvider) *string { return &m.ReuseKey }),
	},
	name: func(m *AcmeProvider) *string { return &m.Name },
	check: func(m *AcmeProvider) error {
		// The contract requires it, and HAProxy has no default directory.
		if m.Directory == "" {
			return invalid("directory", "is required")
		}
		if !strings.HasPrefix(m.Directory, "https://") {
			return invalid("directory", "%q must be an https:// URL", m.Directory)
		}
		if m.Challenge != "" {
			if err := checkEnum("challenge", strings.ToLower(m.Challenge), "http-01", "dns-01", "dns-persist-01"); err != nil {
				return err
			}
		}
		if m.Keytype != "" {
			return checkEnum("keytype", strings.ToUpper(m.Keytype), "RSA", "ECDSA")
		}
		return nil
	},
	cache: func(s *Section) *atomic.Value { return &s.model },
})

// oneWordField: `<keyword...> <one word>`, as written: a quoted word
// keeps its quotes.
func oneWordField[T any](json string, kw []string, get func(*T) *string) sectionField[T] {
	f := wordField(json, kw, nil, get)
	f.check = func(m *T) error {
		if v := *get(m); v != "" {
			return checkOneWord(json, v)
		}
		return nil
	}
	return f
}

// commaListField: `<kw> a,b,c`, a list of words from values (nil: any).
func commaListField[T any](json string, kw []string, values []string, get func(*T) *[]string) sectionField[T] {
	return blockField(json, [][]string{kw}, get,
		func(lines []Line) ([]string, bool) {
			l := lines[len(lines)-1]
			if len(l.Words) != len(kw)+1 {
				return nil, true
			}
			return strings.Split(l.Words[len(kw)], ","), len(lines) > 1
		},
		func(v []string) [][]string { return [][]string{append(cloneWords(kw), strings.Join(v, ","))} },
		func(v []string) error { return checkCommaList(json, v, values) })
}

func checkCommaList(json string, v, values []string) error {
	for _, s := range v {
		if len(values) > 0 {
			if err := checkEnum(json, s, values...); err != nil {
				return err
			}
			continue
		}
		if err := checkOneWord(json, s); err != nil {
			return err
		}
		if strings.Contains(s, ",") {
			return invalid(json, "%q: an item must not contain a comma", s)
		}
	}
	return nil
}

// --- healthcheck -------------------------------------------------------------

// Healthcheck is a `healthcheck <name>` section: its `type` line (the
// check HAProxy runs, with the arguments `option <type>` takes in a
// backend) and its http-check and tcp-check lines (the collections
// HTTPChecks and TCPChecks).
type Healthcheck struct {
	Name string `json:"name"`
	HealthcheckType
}

// HealthcheckType is the `type <check> [<args>]` line.
type HealthcheckType struct {
	Type             string            `json:"type,omitempty"`
	HttpchkParams    *HttpchkParams    `json:"httpchk_params,omitempty"`
	MysqlCheckParams *MysqlCheckParams `json:"mysql_check_params,omitempty"`
	PgsqlCheckParams *PgsqlCheckParams `json:"pgsql_check_params,omitempty"`
	SmtpchkParams    *SmtpchkParams    `json:"smtpchk_params,omitempty"`
}

var healthcheckTypes = []string{"httpchk", "ldap-check", "mysql-check", "pgsql-check", "redis-check",
	"smtpchk", "spop-check", "ssl-hello-chk", "tcp-check"}

var healthcheckModel = registerSection(&sectionModel[Healthcheck]{
	info: SectionInfo{Kind: KindHealthcheck, Path: "healthchecks", OpName: "HealthCheck", Tag: "HealthCheck", Schema: "healthcheck",
		Templated: true},
	fields: fieldSet[Healthcheck]{healthcheckTypeField()},
	name:   func(m *Healthcheck) *string { return &m.Name },
	cache:  func(s *Section) *atomic.Value { return &s.model },
})

// healthcheckTypeField reads and writes `type <check> <args>` with the
// backend's `option <check> <args>` field: the arguments are the same.
func healthcheckTypeField() sectionField[Healthcheck] {
	adv := advCheckField()
	toOptions := func(t HealthcheckType) BackendOptions {
		o := BackendOptions{AdvCheck: t.Type, HttpchkParams: t.HttpchkParams}
		if t.MysqlCheckParams != nil || t.PgsqlCheckParams != nil || t.SmtpchkParams != nil {
			o.BackendMore = &BackendMore{MysqlCheckParams: t.MysqlCheckParams, PgsqlCheckParams: t.PgsqlCheckParams, SmtpchkParams: t.SmtpchkParams}
		}
		return o
	}
	return blockField("type", [][]string{{"type"}}, func(m *Healthcheck) *HealthcheckType { return &m.HealthcheckType },
		func(lines []Line) (HealthcheckType, bool) {
			l := lines[len(lines)-1]
			if len(l.Words) < 2 {
				return HealthcheckType{}, true
			}
			// The backend field reads the line as `option <check> ...`.
			opt := &Section{Kind: KindBackend, lines: []string{"option " + joinWords(l.Words[1:]) + "\n"}}
			var o BackendOptions
			adv.read(opt, &o)
			t := HealthcheckType{Type: l.Words[1], HttpchkParams: o.HttpchkParams}
			if mo := o.BackendMore; mo != nil {
				t.MysqlCheckParams, t.PgsqlCheckParams, t.SmtpchkParams = mo.MysqlCheckParams, mo.PgsqlCheckParams, mo.SmtpchkParams
			}
			o2 := toOptions(t)
			rendered := adv.words(&o2)
			opaque := len(lines) > 1 || len(rendered) != 1 || !equalWords(rendered[0][1:], l.Words)
			return t, opaque
		},
		func(t HealthcheckType) [][]string {
			o := toOptions(t)
			w := adv.words(&o)
			if len(w) != 1 {
				return nil
			}
			return [][]string{append([]string{"type"}, w[0][1:]...)}
		},
		func(t HealthcheckType) error {
			if err := checkEnum("type", t.Type, healthcheckTypes...); err != nil {
				return err
			}
			if t.Type == "spop-check" {
				// Not a backend option HAProxy 2.6's field knows: no arguments.
				if t.HttpchkParams != nil || t.MysqlCheckParams != nil || t.PgsqlCheckParams != nil || t.SmtpchkParams != nil {
					return invalid("type", "spop-check takes no parameters")
				}
				return nil
			}
			o := toOptions(t)
			return adv.check(&o)
		})
}

// --- frontend lines: ssl-f-use, force-be-switch --------------------------------

// SSLFrontUse is an `ssl-f-use crt <certificate> [<param>]...` line of a
// frontend: a certificate with its own SSL settings.
type SSLFrontUse struct {
	Certificate   string `json:"certificate,omitempty"`
	Allow0rtt     bool   `json:"allow_0rtt,omitempty"`
	Alpn          string `json:"alpn,omitempty"`
	CaFile        string `json:"ca_file,omitempty"`
	Ciphers       string `json:"ciphers,omitempty"`
	Ciphersuites  string `json:"ciphersuites,omitempty"`
	ClientSigalgs string `json:"client_sigalgs,omitempty"`
	CrlFile       string `json:"crl_file,omitempty"`
	Curves        string `json:"curves,omitempty"`
	Ecdhe         string `json:"ecdhe,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	Key           string `json:"key,omitempty"`
	NoAlpn        bool   `json:"no_alpn,omitempty"`
	NoCaNames     bool   `json:"no_ca_names,omitempty"`
	Npn           string `json:"npn,omitempty"`
	Ocsp          string `json:"ocsp,omitempty"`
	OcspUpdate    string `json:"ocsp_update,omitempty"`
	Sctl          string `json:"sctl,omitempty"`
	Sigalgs       string `json:"sigalgs,omitempty"`
	SslMaxVer     string `json:"ssl_max_ver,omitempty"`
	SslMinVer     string `json:"ssl_min_ver,omitempty"`
	Verify        string `json:"verify,omitempty"`
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var sslFrontUseParams = []lineParam[SSLFrontUse]{
	{kw: "crt", json: "certificate", str: func(m *SSLFrontUse) *string { return &m.Certificate }},
	{kw: "key", json: "key", str: func(m *SSLFrontUse) *string { return &m.Key }},
	{kw: "ocsp", json: "ocsp", str: func(m *SSLFrontUse) *string { return &m.Ocsp }},
	{kw: "issuer", json: "issuer", str: func(m *SSLFrontUse) *string { return &m.Issuer }},
	{kw: "sctl", json: "sctl", str: func(m *SSLFrontUse) *string { return &m.Sctl }},
	{kw: "ocsp-update", json: "ocsp_update", str: func(m *SSLFrontUse) *string { return &m.OcspUpdate }, onOff: true},
	{kw: "alpn", json: "alpn", str: func(m *SSLFrontUse) *string { return &m.Alpn }},
	{kw: "no-alpn", json: "no_alpn", flag: func(m *SSLFrontUse) *bool { return &m.NoAlpn }},
	{kw: "npn", json: "npn", str: func(m *SSLFrontUse) *string { return &m.Npn }},
	{kw: "allow-0rtt", json: "allow_0rtt", flag: func(m *SSLFrontUse) *bool { return &m.Allow0rtt }},
	{kw: "ca-file", json: "ca_file", str: func(m *SSLFrontUse) *string { return &m.CaFile }},
	{kw: "crl-file", json: "crl_file", str: func(m *SSLFrontUse) *string { return &m.CrlFile }},
	{kw: "ciphers", json: "ciphers", str: func(m *SSLFrontUse) *string { return &m.Ciphers }},
	{kw: "ciphersuites", json: "ciphersuites", str: func(m *SSLFrontUse) *string { return &m.Ciphersuites }},
	{kw: "curves", json: "curves", str: func(m *SSLFrontUse) *string { return &m.Curves }},
	{kw: "ecdhe", json: "ecdhe", str: func(m *SSLFrontUse) *string { return &m.Ecdhe }},
	{kw: "sigalgs", json: "sigalgs", str: func(m *SSLFrontUse) *string { return &m.Sigalgs }},
	{kw: "client-sigalgs", json: "client_sigalgs", str: func(m *SSLFrontUse) *string { return &m.ClientSigalgs }},
	{kw: "no-ca-names", json: "no_ca_names", flag: func(m *SSLFrontUse) *bool { return &m.NoCaNames }},
	{kw: "ssl-min-ver", json: "ssl_min_ver", str: func(m *SSLFrontUse) *string { return &m.SslMinVer }, values: sslVersions},
	{kw: "ssl-max-ver", json: "ssl_max_ver", str: func(m *SSLFrontUse) *string { return &m.SslMaxVer }, values: sslVersions},
	{kw: "verify", json: "verify", str: func(m *SSLFrontUse) *string { return &m.Verify }, values: []string{"none", "optional", "required"}},
}

// SSLFrontUses are the `ssl-f-use` lines of frontends. A line is read in
// any order of its parameters; a line with a parameter the model does not
// know reads verbatim.
var SSLFrontUses = registerRuleList(&Collection[SSLFrontUse]{
	Name: "ssl-f-use", Path: "ssl_front_uses", OpName: "SSLFrontUse", Tag: "SSLFrontUse", Schema: "ssl_front_use",
	Keyword: "ssl-f-use", Parents: []string{KindFrontend}, FullSection: "ssl_front_uses",
	// getAllSSLFrontUses: the list operation keeps "All".
	PluralListOps: true, OpPlural: "AllSSLFrontUses", AppendOnly: true,
	Parse: func(l Line) (SSLFrontUse, bool) {
		var m SSLFrontUse
		if !parseParams(l.Words[1:], sslFrontUseParams, &m) || m.Certificate == "" || checkParams(&m, sslFrontUseParams) != nil {
			return SSLFrontUse{}, false
		}
		return m, true
	},
	Render: func(m *SSLFrontUse, _ *Line) []string {
		return append([]string{"ssl-f-use"}, renderParams(m, sslFrontUseParams)...)
	},
	Check: func(m *SSLFrontUse) error {
		if m.Certificate == "" {
			return invalid("certificate", "is required")
		}
		return checkParams(m, sslFrontUseParams)
	},
}, func(m *SSLFrontUse) *Unmodelled { return &m.Unmodelled }, false)

// ForceBeSwitch is a `force-be-switch if|unless <condition>` line of a
// frontend: the backend switching rules may pick a disabled or
// unpublished backend while the condition holds.
type ForceBeSwitch struct {
	Condition
	Unmodelled
	Meta // metadata: the trailing comment of its line (metadata.go)
}

var ForceBeSwitches = ruleList(&Collection[ForceBeSwitch]{
	Name: "force-be-switch", Path: "force_be_switches", OpName: "ForceBeSwitch", Tag: "ForceBeSwitch", Schema: "force_be_switch",
	Keyword: "force-be-switch", Parents: []string{KindFrontend}, FullSection: "force_be_switches",
	PluralListOps: true, OpPlural: "AllForceBeSwitches", AppendOnly: true,
	Parse: func(l Line) (ForceBeSwitch, bool) {
		if len(l.Words) < 3 || (l.Words[1] != "if" && l.Words[1] != "unless") {
			return ForceBeSwitch{}, false
		}
		return ForceBeSwitch{Condition: Condition{Cond: l.Words[1], CondTest: joinWords(l.Words[2:])}}, true
	},
	Render: func(m *ForceBeSwitch, _ *Line) []string {
		return append([]string{"force-be-switch"}, m.words()...)
	},
	Check: func(m *ForceBeSwitch) error {
		if m.Cond == "" {
			return invalid("cond", "is required (if or unless)")
		}
		return m.Condition.check()
	},
}, func(m *ForceBeSwitch) *Unmodelled { return &m.Unmodelled })

// --- parameter lines ------------------------------------------------------------

// lineParam is one `<kw> [<value>]` pair of a line of parameters (crt-store
// load, ssl-f-use): str a one-word value (values: its allowed set; onOff:
// written on|off, read enabled|disabled), flag a bare keyword, list a
// comma-separated list in one word.
type lineParam[T any] struct {
	kw, json string
	str      func(*T) *string
	flag     func(*T) *bool
	list     func(*T) *[]string
	values   []string
	onOff    bool
}

// parseParams reads the pairs of w into m; false when a word is not one
// of params, a value is missing, or a keyword appears twice.
func parseParams[T any](w []string, params []lineParam[T], m *T) bool {
	seen := map[string]bool{}
outer:
	for i := 0; i < len(w); i++ {
		for _, p := range params {
			if w[i] != p.kw {
				continue
			}
			if seen[p.kw] {
				return false
			}
			seen[p.kw] = true
			if p.flag != nil {
				*p.flag(m) = true
				continue outer
			}
			if i+1 >= len(w) {
				return false
			}
			i++
			switch {
			case p.list != nil:
				*p.list(m) = strings.Split(w[i], ",")
			case p.onOff && w[i] == "on":
				*p.str(m) = "enabled"
			case p.onOff && w[i] == "off":
				*p.str(m) = "disabled"
			case p.onOff:
				return false
			default:
				*p.str(m) = w[i]
			}
			continue outer
		}
		return false
	}
	return true
}

func renderParams[T any](m *T, params []lineParam[T]) []string {
	var w []string
	for _, p := range params {
		switch {
		case p.flag != nil:
			if *p.flag(m) {
				w = append(w, p.kw)
			}
		case p.list != nil:
			if l := *p.list(m); len(l) > 0 {
				w = append(w, p.kw, strings.Join(l, ","))
			}
		default:
			v := *p.str(m)
			if v == "" {
				continue
			}
			if p.onOff {
				if v == "enabled" {
					v = "on"
				} else {
					v = "off"
				}
			}
			w = append(w, p.kw, v)
		}
	}
	return w
}

func checkParams[T any](m *T, params []lineParam[T]) error {
	for _, p := range params {
		switch {
		case p.flag != nil:
		case p.list != nil:
			if err := checkCommaList(p.json, *p.list(m), nil); err != nil {
				return err
			}
		default:
			v := *p.str(m)
			switch {
			case v == "":
			case p.onOff:
				if err := checkEnum(p.json, v, onOff...); err != nil {
					return err
				}
			case len(p.values) > 0:
				if err := checkEnum(p.json, v, p.values...); err != nil {
					return err
				}
			default:
				// One word as written: a file may quote it ("haproxy.pem").
				if err := checkOneWord(p.json, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
