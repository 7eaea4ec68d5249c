// Verifies webhook deliveries with the official Standard Webhooks library
// (npm standardwebhooks, pinned in package.json), independently of the
// portal's own Go code. Input (argv[2]): a JSON file of
//   [{"secret": "whsec_…", "headers": {"webhook-id": …}, "body": "…", "expect": "accept" | "refuse"}]
// Prints {"accepted": n, "refused": n, "failures": [...]} and exits 1 on any
// delivery whose outcome is not the expected one.
const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = { accepted: 0, refused: 0, failures: [] };
for (const c of cases) {
  let ok = true;
  let why = "";
  try {
    new Webhook(c.secret).verify(c.body, c.headers);
  } catch (e) {
    ok = false;
    why = String(e && e.message);
  }
  if (ok) out.accepted++; else out.refused++;
  if (ok !== (c.expect === "accept")) {
    out.failures.push({ id: c.headers["webhook-id"], expect: c.expect, error: why });
  }
}
console.log(JSON.stringify(out));
process.exit(out.failures.length === 0 ? 0 : 1);
