//go:build race

package auth

// raceEnabled: the race detector slows hashing several times over and
// unevenly, so timing tests measure it rather than us.
const raceEnabled = true
