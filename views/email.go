package views

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/net/html"

	"prequal/lending"
)

// Borrower emails: a plain-text part (EmailText) and a simple HTML part
// (EmailHTML) of the same content, and the subject (EmailSubject). They carry
// no images (so no tracking pixel), load nothing from anywhere, and link only
// to the portal. Personal data is limited to the first name, the amount asked
// for and the application's status: never an SSN, a date of birth or income.

// ECOAParagraph is the Equal Credit Opportunity Act notice (Regulation B,
// 12 CFR 1002.9(b)(1)) every notice of action taken carries, on the page and by email.
const ECOAParagraph = "The federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit " +
	"applicants on the basis of race, color, religion, national origin, sex, marital status, age (provided the " +
	"applicant has the capacity to enter into a binding contract); because all or part of the applicant's income " +
	"derives from any public assistance program; or because the applicant has in good faith exercised any right " +
	"under the Consumer Credit Protection Act. The federal agency that administers compliance with this law " +
	"concerning this creditor is the Consumer Financial Protection Bureau, 1700 G Street NW, Washington, DC 20552."

// FCRAParagraph is the consumer report paragraph (Fair Credit Reporting Act
// §615(a)) of an emailed notice of action taken.
const FCRAParagraph = "If our decision was based in whole or in part on information in a consumer report, you have " +
	"the right under the Fair Credit Reporting Act to know the information in your credit file at the consumer " +
	"reporting agency that supplied it, to a free copy of your report from that agency if you ask for it no later " +
	"than 60 days after you receive this notice, and to dispute with the agency any information in the report " +
	"that is inaccurate or incomplete. The reporting agency did not make the decision and cannot tell you why it was made."

// reasonsRightParagraph tells a borrower whose notice names no reasons how to
// get them (Regulation B, 12 CFR 1002.9(a)(2)(ii)).
const reasonsRightParagraph = "You have the right to a statement of the specific reasons for this outcome. To get one, " +
	"reply to this email or write to us at the address below within 60 days of this notice; we will send it within 30 days of your request."

// EmailView is one borrower email's content.
type EmailView struct {
	Kind          lending.MailKind
	SiteName      string
	PostalAddress string
	BaseURL       string // the portal's public URL: every link starts with it

	FirstName   string
	Held        bool   // held for an officer's review before it goes to lenders
	Amount      string // the amount asked for, whole dollars
	AppliedOn   string // the application's date, e.g. "March 2, 2026"
	StatusLabel string // where the application stands, in the borrower's words

	ResumeURL     string // the signed, single-use link ("" when none)
	ResumeExpires string // when it stops working

	OfferCount   int
	Offers       []EmailOffer // the best few, lowest APR first
	OffersExpire string       // when unchosen offers expire ("" when they do not)

	// The notice of action taken: the platform's (NoticeHTML, sanitized as on
	// the page) or an officer's denial (DenialReasons).
	NoticeHTML    string
	DenialReasons []string
	// ShowECOA and ShowFCRA add the portal's ECOA and FCRA paragraphs to a
	// notice: always, unless the lenders' notice carries its own.
	ShowECOA, ShowFCRA bool
}

// EmailOffer is one offer line of an email.
type EmailOffer struct {
	Lender, Amount, APR, Monthly, Term string
}

// emailDate formats a date for borrowers; emails have no time zone of their
// reader, so dates are UTC and say so only where the hour matters (never here).
func emailDate(t time.Time) string { return t.UTC().Format("January 2, 2006") }

// NewEmailView builds the view of an email of kind about app.
func NewEmailView(kind lending.MailKind, app lending.Application, offers []lending.Offer) EmailView {
	v := EmailView{
		Kind:        kind,
		FirstName:   app.FirstName,
		Amount:      app.RequestedAmount.WholeDollars(),
		AppliedOn:   emailDate(app.CreatedAt),
		StatusLabel: statusLabel(app),
		OfferCount:  len(offers),
		Held:        app.Review.Status == lending.ReviewManualReview,
	}
	sorted := append([]lending.Offer(nil), offers...)
	lending.SortOffers(sorted, lending.SortByAPR)
	for i, o := range sorted {
		if i == 3 {
			break
		}
		v.Offers = append(v.Offers, EmailOffer{Lender: o.LenderName, Amount: o.LoanAmount.WholeDollars(),
			APR: o.APR.String(), Monthly: o.MonthlyPayment.String(), Term: fmt.Sprintf("%d months", o.TermMonths)})
	}
	switch kind {
	case lending.MailDenied:
		v.DenialReasons = app.Review.DenialReasonTexts()
	case lending.MailNoOffers:
		if app.Lead.AdverseActionNotice != "" {
			v.NoticeHTML = SanitizeNotice(app.Lead.AdverseActionNotice)
		}
	}
	if kind.CarriesNotice() {
		text := strings.ToLower(noticeText(v.NoticeHTML))
		v.ShowECOA = !strings.Contains(text, "equal credit opportunity act")
		v.ShowFCRA = !strings.Contains(text, "fair credit reporting act")
	}
	return v
}

// SetResume adds the resume link and its expiry.
func (v *EmailView) SetResume(url string, expires time.Time) {
	v.ResumeURL, v.ResumeExpires = url, emailDate(expires)
}

// SetOffersExpire says when the offers expire.
func (v *EmailView) SetOffersExpire(t time.Time) { v.OffersExpire = emailDate(t) }

// EmailSubject is the subject line: the amount and the status, always.
func EmailSubject(v EmailView) string {
	prefix := "Your " + v.Amount + " loan request: "
	switch v.Kind {
	case lending.MailReceived:
		return prefix + "received"
	case lending.MailOffersReady:
		if v.OfferCount == 1 {
			return prefix + "1 offer ready"
		}
		return prefix + fmt.Sprintf("%d offers ready", v.OfferCount)
	case lending.MailNoOffers:
		return prefix + "no offers (notice of action taken)"
	case lending.MailDenied:
		return prefix + "not approved (notice of action taken)"
	case lending.MailOffersExpiring:
		return prefix + "offers expire on " + v.OffersExpire
	case lending.MailResumeLink:
		return prefix + strings.ToLower(v.StatusLabel) + " (your link to continue)"
	}
	return prefix + strings.ToLower(v.StatusLabel)
}

// heading is the email's first line.
func (v EmailView) heading() string {
	switch v.Kind {
	case lending.MailReceived:
		return "We received your request"
	case lending.MailOffersReady:
		return "Your offers are ready"
	case lending.MailNoOffers:
		return "We couldn't find a loan offer for you"
	case lending.MailDenied:
		return "We can't offer you a loan right now"
	case lending.MailOffersExpiring:
		return "Your offers expire soon"
	case lending.MailResumeLink:
		return "Here is your link"
	}
	return v.SiteName
}

// intro is the email's opening paragraph.
func (v EmailView) intro() string {
	switch v.Kind {
	case lending.MailReceived:
		if v.Held {
			return "Thank you for checking your rate for a personal loan of " + v.Amount + ". Our team needs to take " +
				"a closer look at your application before we ask our lending partners; this doesn't affect your credit " +
				"score. We'll email you as soon as there's news."
		}
		return "Thank you for checking your rate for a personal loan of " + v.Amount + ". We're asking our lending " +
			"partners for prequalified offers now; this uses a soft credit inquiry and won't affect your credit score. " +
			"We'll email you again as soon as there's an answer."
	case lending.MailOffersReady:
		n := "an offer"
		if v.OfferCount > 1 {
			n = fmt.Sprintf("%d offers", v.OfferCount)
		}
		return "Good news: our lending partners made " + n + " for your personal loan request of " + v.Amount +
			". Compare them and continue with the lender you choose."
	case lending.MailNoOffers:
		return "We're sorry. None of our lenders could prequalify you for your personal loan request of " + v.Amount +
			". This was a soft inquiry, so it has not affected your credit score. The notice of action taken is below."
	case lending.MailDenied:
		return "We have reviewed your application for a personal loan of " + v.Amount + ". We are unable to offer " +
			"you credit at this time. Your request was not sent to lenders, and nothing about it affected your credit score."
	case lending.MailOffersExpiring:
		return "The offers for your personal loan request of " + v.Amount + " expire on " + v.OffersExpire +
			". If one of them suits you, choose it before then."
	case lending.MailResumeLink:
		return "You asked for a link to your personal loan request of " + v.Amount + " from " + v.AppliedOn +
			". Its status: " + strings.ToLower(v.StatusLabel) + "."
	}
	return ""
}

// buttonLabel is the resume link's words.
func (v EmailView) buttonLabel() string {
	switch v.Kind {
	case lending.MailOffersReady, lending.MailOffersExpiring:
		return "Compare your offers"
	case lending.MailNoOffers, lending.MailDenied:
		return "See your application"
	}
	return "Continue your application"
}

// offersLead introduces the few offers an email lists out of many.
func (v EmailView) offersLead() string {
	return fmt.Sprintf("Lowest APR first, %d of your %d offers:", len(v.Offers), v.OfferCount)
}

// showsOffers reports whether the email lists offers.
func (v EmailView) showsOffers() bool {
	return len(v.Offers) > 0 && (v.Kind == lending.MailOffersReady || v.Kind == lending.MailOffersExpiring)
}

// showsExpiryNote reports whether the offers list says when they expire.
func (v EmailView) showsExpiryNote() bool {
	return v.OffersExpire != "" && v.Kind == lending.MailOffersReady
}

// isNotice reports whether the email is a notice of action taken.
func (v EmailView) isNotice() bool { return v.Kind.CarriesNotice() }

// why is the line saying why the borrower got the email.
func (v EmailView) why() string {
	if v.Kind == lending.MailResumeLink {
		return "You're receiving this email because someone, we hope you, asked " + v.SiteName + " for a link to the " +
			"applications made with this address. If it wasn't you, ignore it: nobody can open your application without it."
	}
	return "You're receiving this email because you checked your personal loan rate at " + v.SiteName +
		" with this address on " + v.AppliedOn + " and agreed to receive its notices by email."
}

// transactional says what kind of email this is.
func (v EmailView) transactional() string {
	return "This is a transactional message about your own application. We don't send marketing email, so there is nothing to unsubscribe from."
}

func (v EmailView) linkNote() string {
	return "The link works once, until " + v.ResumeExpires + ", and opens your application on any device. " +
		"Don't forward this email: whoever has the link can see your application."
}

// EmailText is the plain-text part.
func EmailText(v EmailView) string {
	var b strings.Builder
	line := func(s ...string) {
		for _, p := range s {
			b.WriteString(p)
		}
		b.WriteString("\n")
	}
	line(v.SiteName)
	line()
	line(v.heading())
	line()
	line("Hello ", v.FirstName, ",")
	line()
	line(v.intro())
	if v.showsOffers() {
		line()
		if v.OfferCount > len(v.Offers) {
			line(v.offersLead())
		}
		for _, o := range v.Offers {
			line("- ", o.Lender, ": ", o.Amount, " at ", o.APR, " APR, ", o.Monthly, " a month for ", o.Term)
		}
		if v.showsExpiryNote() {
			line()
			line("Offers not chosen by ", v.OffersExpire, " expire.")
		}
	}
	if v.ResumeURL != "" {
		line()
		line(v.buttonLabel(), ":")
		line(v.ResumeURL)
		line()
		line(v.linkNote())
	}
	if v.isNotice() {
		line()
		if v.NoticeHTML == "" {
			line("NOTICE OF ACTION TAKEN")
			line()
		}
		switch {
		case len(v.DenialReasons) > 0:
			line("We have reviewed your application for a personal loan of ", v.Amount,
				". We are unable to offer you credit at this time. The principal reasons for our decision are:")
			for _, r := range v.DenialReasons {
				line("- ", r)
			}
		case v.NoticeHTML != "":
			line(noticeText(v.NoticeHTML))
		default:
			line("The lenders did not include a notice of action taken with this result. A lender may send you one directly, by email or post, within 30 days.")
			line()
			line(reasonsRightParagraph)
		}
		if v.ShowECOA || v.ShowFCRA {
			line()
			line("YOUR RIGHTS")
		}
		if v.ShowECOA {
			line()
			line(ECOAParagraph)
		}
		if v.ShowFCRA {
			line()
			line(FCRAParagraph)
		}
	}
	line()
	line("-- ")
	line(v.why())
	line(v.transactional())
	line()
	line(v.SiteName, " · ", v.PostalAddress)
	line(v.BaseURL)
	return b.String()
}

// noticeText turns a sanitized notice's HTML into plain text: block elements on
// lines of their own, list items as "- ".
func noticeText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	newline := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(collapseBlankLines(b.String()))
		case html.TextToken:
			text := strings.Join(strings.Fields(string(z.Text())), " ")
			if text == "" {
				continue
			}
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") && !strings.HasSuffix(b.String(), " ") && !strings.HasSuffix(b.String(), "- ") {
				b.WriteString(" ")
			}
			b.WriteString(text)
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "p", "div", "section", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "blockquote", "address", "dl", "dt", "dd", "hr":
				newline()
				if string(name) != "tr" && string(name) != "dt" && string(name) != "dd" {
					b.WriteString("\n")
				}
			case "br":
				newline()
			case "li":
				newline()
				if tt == html.StartTagToken {
					b.WriteString("- ")
				}
			}
		}
	}
}

// collapseBlankLines leaves at most one empty line between paragraphs.
func collapseBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " ")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
