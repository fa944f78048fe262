package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"
)

// Request bodies are JSON read strictly: exactly one value, valid UTF-8
// (encoding/json would turn bad bytes into U+FFFD without a word), no key
// twice in an object (encoding/json keeps the last one, so a client could
// not tell which value was written), no field the model does not have.

// decodeBody reads the body and decodes it strictly into v.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return badRequest("read body: %v", err)
	}
	return decodeStrict(b, v)
}

// decodeStrict decodes one JSON value from b into v, strictly.
func decodeStrict(b []byte, v any) error {
	if err := checkJSON(b); err != nil {
		return badRequest("body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("decode body: %v", err)
	}
	return nil
}

// checkJSON checks what encoding/json lets through: invalid UTF-8,
// duplicate keys, and anything after the first value.
func checkJSON(b []byte) error {
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return fmt.Errorf("not valid UTF-8 (byte %d)", i)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := checkValue(dec); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("more than one JSON value (something follows the first at byte %d)", dec.InputOffset())
	}
	return nil
}

// checkValue reads one value from dec, refusing an object with a key
// given twice.
func checkValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return fmt.Errorf("not JSON: %w", err)
			}
			k, _ := key.(string)
			if seen[k] {
				return fmt.Errorf("key %q appears twice in one object", k)
			}
			seen[k] = true
			if err := checkValue(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
	}
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}
