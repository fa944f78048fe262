package api

import "testing"

// TestByteBudget: bodies are admitted while they fit in the budget; one
// body alone always is.
func TestByteBudget(t *testing.T) {
	b := byteBudget{limit: 100}
	if !b.acquire(60) || !b.acquire(40) {
		t.Fatal("bodies that fit were refused")
	}
	if b.acquire(1) {
		t.Fatal("a body over the budget was admitted")
	}
	b.release(60)
	if !b.acquire(50) {
		t.Fatal("a body that fits again was refused")
	}
	b.release(50)
	b.release(40)
	if !b.acquire(500) {
		t.Fatal("one body alone must be admitted whatever its size")
	}
}
