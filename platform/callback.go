package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxCallbackBytes bounds a callback body; a lead with its products is a few
// kilobytes, so anything larger is refused before it is parsed.
const MaxCallbackBytes = 1 << 20

// ErrMalformedCallback is wrapped by every error of DecodeCallback. The handler
// answers such a callback with a 4xx and stores nothing.
var ErrMalformedCallback = errors.New("platform: malformed callback")

// DecodeCallback parses and checks a callback body whose signature has already been
// verified. It must be one JSON object of at most MaxCallbackBytes with type
// CallbackEventType, a lead uuid of 1 to 100 characters, a known status and
// products that all convert to offers. Unknown fields are ignored, so the platform
// may add some without breaking us.
func DecodeCallback(body []byte) (Callback, error) {
	if len(body) > MaxCallbackBytes {
		return Callback{}, fmt.Errorf("%w: body larger than %d bytes", ErrMalformedCallback, MaxCallbackBytes)
	}
	// json.Unmarshal accepts null into a struct without complaint; demand an object.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Callback{}, fmt.Errorf("%w: body is not a JSON object", ErrMalformedCallback)
	}
	var cb Callback
	if err := json.Unmarshal(body, &cb); err != nil {
		return Callback{}, fmt.Errorf("%w: %w", ErrMalformedCallback, err)
	}
	switch {
	case cb.Type != CallbackEventType:
		return Callback{}, fmt.Errorf("%w: type %.40q is not %q", ErrMalformedCallback, cb.Type, CallbackEventType)
	case cb.Data.UUID == "" || len(cb.Data.UUID) > maxIDLength:
		return Callback{}, fmt.Errorf("%w: data.uuid must have 1 to %d characters", ErrMalformedCallback, maxIDLength)
	}
	if _, err := cb.Data.Report(); err != nil {
		return Callback{}, fmt.Errorf("%w: %w", ErrMalformedCallback, err)
	}
	return cb, nil
}
