package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"prequal/platform"
	"prequal/webhooks"
)

const webhookUsage = "usage: portal webhook listen --addr 127.0.0.1:9000 --secret whsec_…   (prints verified deliveries, refuses forged ones)"

// webhook is `portal webhook listen --addr A --secret S`: a local receiver for
// a developer's stage endpoint (http://A/…).
func webhook(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "listen" {
		return errors.New(webhookUsage)
	}
	fs := flag.NewFlagSet("webhook listen", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on")
	secret := fs.String("secret", getenv("PORTAL_WEBHOOK_LISTEN_SECRET"), "the endpoint's whsec_ signing secret; several comma-separated during a rotation (PORTAL_WEBHOOK_LISTEN_SECRET)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var secrets []string
	for _, s := range strings.Split(*secret, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !platform.WebhookSecret(s).Valid() {
			return errors.New("webhook listen: --secret must be the endpoint's whsec_… secret from the dashboard")
		}
		secrets = append(secrets, s)
	}
	if len(secrets) == 0 {
		return errors.New("webhook listen: --secret is required\n" + webhookUsage)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: &webhooks.Receiver{Secrets: secrets, Out: stdout}, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "Listening for webhook deliveries on http://%s/ — add an endpoint with this URL on your /developers dashboard (stage)\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
