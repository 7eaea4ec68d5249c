package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/mailcatcher"
	"prequal/views"
)

// MailCatcher is what the QA mail pages need of the stage mail catcher.
type MailCatcher interface {
	Messages(limit int) ([]mailcatcher.Message, error)
	Message(id string) (mailcatcher.Message, error)
	SetRefusing(refuse bool)
	Refusing() bool
}

// qaMailLimit bounds the list of caught mail.
const qaMailLimit = 200

func qaMail(m mailcatcher.Message) views.QAMail {
	q := views.QAMail{ID: m.ID, CaughtAt: m.CaughtAt, To: m.To, Subject: m.Subject, Text: m.Text,
		HasHTML: m.HTML != "", Links: m.Links}
	for _, h := range m.Headers {
		q.Headers = append(q.Headers, [2]string{h.Name, h.Value})
	}
	return q
}

// qaMailPage is GET /qa/mail: every email the portal sent, as caught.
func (s *Server) qaMailPage(c echo.Context) error {
	v := views.QAMailView{Page: s.page("Caught email"), Relay: s.cfg.MailRelay, Saved: c.QueryParam("saved") != ""}
	if s.cfg.MailCatcher != nil {
		v.Catching, v.Refusing = true, s.cfg.MailCatcher.Refusing()
		msgs, err := s.cfg.MailCatcher.Messages(qaMailLimit)
		if err != nil {
			s.log.WarnContext(c.Request().Context(), "reading caught mail failed", "error", err)
			v.Error = "The caught mail could not be read."
		}
		for _, m := range msgs {
			v.Messages = append(v.Messages, qaMail(m))
		}
	}
	return render(c, http.StatusOK, views.QAMailPage(v))
}

// qaMailJSON is the wire form of one caught email at /qa/mail.json.
type qaMailJSON struct {
	ID        string   `json:"id"`
	CaughtAt  string   `json:"caughtAt"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Subject   string   `json:"subject"`
	MessageID string   `json:"messageId"`
	Links     []string `json:"links"`
	Text      string   `json:"text"`
	HTML      string   `json:"html"`
}

// qaMailList is GET /qa/mail.json: the caught mail for QA's scripts, newest first.
func (s *Server) qaMailList(c echo.Context) error {
	out := []qaMailJSON{}
	if s.cfg.MailCatcher != nil {
		msgs, err := s.cfg.MailCatcher.Messages(0)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			out = append(out, qaMailJSON{ID: m.ID, CaughtAt: m.CaughtAt.Format("2006-01-02T15:04:05.000Z07:00"), From: m.From, To: m.To,
				Subject: m.Subject, MessageID: m.MessageID, Links: m.Links, Text: m.Text, HTML: m.HTML})
		}
	}
	return c.JSON(http.StatusOK, out)
}

// caughtMessage loads the message of the :id parameter.
func (s *Server) caughtMessage(c echo.Context) (mailcatcher.Message, error) {
	if s.cfg.MailCatcher == nil {
		return mailcatcher.Message{}, echo.NewHTTPError(http.StatusNotFound)
	}
	m, err := s.cfg.MailCatcher.Message(c.Param("id"))
	if errors.Is(err, mailcatcher.ErrNotFound) {
		return m, echo.NewHTTPError(http.StatusNotFound)
	}
	return m, err
}

// qaMailMessage is GET /qa/mail/:id: one caught email.
func (s *Server) qaMailMessage(c echo.Context) error {
	m, err := s.caughtMessage(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.QAMailMessage(views.QAMailMessageView{Page: s.page("Email: " + m.Subject), Msg: qaMail(m)}))
}

// mailHTMLPolicy confines an email's HTML part as QA views it: no script, no
// plugin, nothing fetched but inline styles; a sandbox; framed only by the
// portal's own page. Links still open (on the click of a person).
const mailHTMLPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; " +
	"frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"

// qaMailHTML is GET /qa/mail/:id/html: the HTML part exactly as sent, under
// mailHTMLPolicy, with its links opening outside the frame.
func (s *Server) qaMailHTML(c echo.Context) error {
	m, err := s.caughtMessage(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", mailHTMLPolicy)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Referrer-Policy", "no-referrer")
	return c.HTMLBlob(http.StatusOK, []byte(withBaseTarget(m.HTML)))
}

// withBaseTarget adds <base target="_top"> at the start of the head, so the
// email's links open in the window rather than in QA's frame.
func withBaseTarget(html string) string {
	const base = `<base target="_top">`
	lower := strings.ToLower(html)
	if i := strings.Index(lower, "<head>"); i >= 0 {
		return html[:i+len("<head>")] + base + html[i+len("<head>"):]
	}
	return base + html
}

// qaMailControls is POST /qa/mail/controls: make the catcher refuse mail (451)
// or accept it again.
func (s *Server) qaMailControls(c echo.Context) error {
	if s.cfg.MailCatcher == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	refuse := c.FormValue("refuse") == "yes"
	s.cfg.MailCatcher.SetRefusing(refuse)
	s.log.InfoContext(c.Request().Context(), "stage mail catcher control changed", "refusing", refuse)
	return c.Redirect(http.StatusSeeOther, "/qa/mail?saved=1")
}
