package handlers

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// sessionJSONPrefix marks a session value written by sessionSerializer. gob's
// first byte is a message length, so a cookie gob wrote before never parses as
// this prefix followed by JSON.
var sessionJSONPrefix = []byte("j1")

// sessionSerializer encodes the borrower session's values — string keys to
// string values, nothing else — as JSON, where gorilla's default is gob. gob
// compiles a decoder for the type description carried in every cookie, and that
// was most of the cost of reading the session on the checking-rates poll, the
// hottest path of the portal. The cookie stays signed (HMAC) and encrypted
// (AES); only the plaintext's format changes. Cookies written with gob before
// are still read, so no borrower loses a session across the change.
type sessionSerializer struct{}

// Serialize encodes session values, refusing anything but string keys and values.
func (sessionSerializer) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session values: unexpected type %T", src)
	}
	flat := make(map[string]string, len(values))
	for k, v := range values {
		ks, kok := k.(string)
		vs, vok := v.(string)
		if !kok || !vok {
			return nil, fmt.Errorf("session values hold only strings, not %T: %T", k, v)
		}
		flat[ks] = vs
	}
	b, err := json.Marshal(flat)
	if err != nil {
		return nil, err
	}
	return append(bytes.Clone(sessionJSONPrefix), b...), nil
}

// Deserialize decodes what Serialize wrote, or a gob-encoded cookie of before.
func (sessionSerializer) Deserialize(src []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session values: unexpected destination %T", dst)
	}
	rest, isJSON := bytes.CutPrefix(src, sessionJSONPrefix)
	if !isJSON {
		return gob.NewDecoder(bytes.NewReader(src)).Decode(dst)
	}
	var flat map[string]string
	if err := json.Unmarshal(rest, &flat); err != nil {
		return err
	}
	if *values == nil {
		*values = make(map[any]any, len(flat))
	}
	for k, v := range flat {
		(*values)[k] = v
	}
	return nil
}

// useSessionSerializer sets sessionSerializer on every codec of the store.
func useSessionSerializer(cs *sessions.CookieStore) error {
	for _, c := range cs.Codecs {
		sc, ok := c.(*securecookie.SecureCookie)
		if !ok {
			return errors.New("session codec is not a securecookie")
		}
		sc.SetSerializer(sessionSerializer{})
	}
	return nil
}
