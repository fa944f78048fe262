package auth

import "testing"

// BenchmarkVerifyCached is the steady state of a bcrypt cost-12 user: one
// ≈ 0.25 s check when the cache is cold, then only the cache lookup.
func BenchmarkVerifyCached(b *testing.B) {
	v := vec(b, "bcrypt-2b-cost12")
	a := mustNew(b, []User{{Name: "admin", Password: v.hash}}, Options{})
	if !a.Verify("admin", v.password) {
		b.Fatal("password rejected")
	}
	start := a.slowChecks.Load()
	b.ReportAllocs()
	for b.Loop() {
		if !a.Verify("admin", v.password) {
			b.Fatal("password rejected")
		}
	}
	if a.slowChecks.Load() != start {
		b.Fatal("cache missed")
	}
}

// BenchmarkVerifySHA512 is an uncached sha512-crypt check at the default
// 5000 rounds, the cost of every wrong password and of the unknown-user
// dummy in the common case.
func BenchmarkVerifySHA512(b *testing.B) {
	v := vec(b, "sha512crypt")
	a := mustNew(b, []User{{Name: "admin", Password: v.hash}}, Options{CacheTTL: -1})
	b.ReportAllocs()
	for b.Loop() {
		if !a.Verify("admin", v.password) {
			b.Fatal("password rejected")
		}
	}
}
