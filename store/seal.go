package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// DataKeySize is the size of PORTAL_DATA_KEY: an AES-256 key.
const DataKeySize = 32

const sealVersion byte = 1

// Sealer encrypts sensitive values (SSNs) with AES-256-GCM and derives keyed
// fingerprints, so equal SSNs can be found without decrypting any.
type Sealer struct {
	aead   cipher.AEAD
	macKey []byte
	// resumeKey signs resume tokens (lending.ResumeToken.Sign).
	resumeKey []byte
}

// NewSealer builds a Sealer from a 32-byte data key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != DataKeySize {
		return nil, fmt.Errorf("data key must be %d bytes, got %d", DataKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, macKey: deriveKey(key, "prequal ssn fingerprint v1"),
		resumeKey: deriveKey(key, "prequal resume token v1")}, nil
}

// deriveKey is a key of its own for one purpose, derived from the data key.
func deriveKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// Seal encrypts plaintext; aad binds the ciphertext to its row (the application id).
func (s *Sealer) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plaintext, aad)
}

// Open decrypts what Seal produced with the same aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, errors.New("sealed value has an unknown format")
	}
	return s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
}

// Fingerprint is a keyed hash of v for equality look-ups.
func (s *Sealer) Fingerprint(v string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}
