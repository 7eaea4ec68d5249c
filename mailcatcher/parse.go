package mailcatcher

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// Message is one caught message, decoded for reading.
type Message struct {
	ID       string
	CaughtAt time.Time
	// Headers are the message's header fields in their order, encoded words
	// decoded; the envelope comes first (Return-Path, Delivered-To).
	Headers []Header
	From    string
	To      string
	Subject string
	// MessageID is the Message-ID header, with its angle brackets.
	MessageID string
	Text      string // the text/plain part, decoded ("" when none)
	HTML      string // the text/html part, decoded ("" when none)
	// Links are the href targets of the HTML part, in order, each once.
	Links []string
	Raw   []byte
}

// Header is one header field.
type Header struct{ Name, Value string }

// Get returns the first value of the named header ("" when absent).
func (m Message) Get(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil }}

// Parse decodes a raw message as well as it can: a message that is not valid
// MIME still shows its headers and raw text.
func Parse(raw []byte) Message {
	m := Message{Raw: raw}
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	if len(body) == 0 && !bytes.Contains(raw, []byte("\r\n\r\n")) {
		head, body, _ = bytes.Cut(raw, []byte("\n\n"))
	}
	m.Headers = parseHeaders(head)
	m.From, m.To, m.Subject, m.MessageID = m.Get("From"), m.Get("To"), m.Get("Subject"), m.Get("Message-ID")
	walkPart(&m, m.Get("Content-Type"), m.Get("Content-Transfer-Encoding"), body, 0)
	m.Links = links(m.HTML)
	return m
}

// parseHeaders unfolds and decodes the header block, keeping the order.
func parseHeaders(head []byte) []Header {
	var out []Header
	sc := bufio.NewScanner(bytes.NewReader(head))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(out) > 0 {
			out[len(out)-1].Value += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		out = append(out, Header{Name: textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), Value: strings.TrimSpace(value)})
	}
	for i := range out {
		if d, err := wordDecoder.DecodeHeader(out[i].Value); err == nil {
			out[i].Value = d
		}
	}
	return out
}

// walkPart finds the text and HTML parts, descending into multiparts.
func walkPart(m *Message, contentType, encoding string, body []byte, depth int) {
	if depth > 5 {
		return
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = "text/plain"
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return
			}
			data, err := io.ReadAll(p)
			if err != nil {
				return
			}
			walkPart(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), data, depth+1)
		}
	}
	text := string(decode(encoding, body))
	switch mediaType {
	case "text/plain":
		if m.Text == "" {
			m.Text = strings.ReplaceAll(text, "\r\n", "\n")
		}
	case "text/html":
		if m.HTML == "" {
			m.HTML = text
		}
	}
}

// decode undoes a Content-Transfer-Encoding.
func decode(encoding string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		if b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err == nil {
			return b
		}
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' {
				return -1
			}
			return r
		}, body)
		if b, err := base64.StdEncoding.DecodeString(string(clean)); err == nil {
			return b
		}
	}
	return body
}

var hrefSchemes = regexp.MustCompile(`^(?i)(https?|mailto):`)

// links lists the HTML's link targets, each once, in order.
func links(s string) []string {
	if s == "" {
		return nil
	}
	z := html.NewTokenizer(strings.NewReader(s))
	seen := map[string]bool{}
	var out []string
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if string(name) != "a" {
			continue
		}
		for hasAttr {
			var key, val []byte
			key, val, hasAttr = z.TagAttr()
			if string(key) == "href" && hrefSchemes.MatchString(string(val)) && !seen[string(val)] {
				seen[string(val)] = true
				out = append(out, string(val))
			}
		}
	}
}
