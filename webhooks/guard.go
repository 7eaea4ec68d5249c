package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"prequal/lending"
)

// Resolver looks host names up (net.DefaultResolver; tests give their own).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard keeps production deliveries away from the portal's own network: an
// endpoint whose host resolves to a loopback, private, link-local (cloud
// metadata included), multicast or unspecified address is refused when it is
// saved, and again when a delivery connects (the Dialer's Control hook sees
// the address actually dialled, so a DNS answer that changed is caught too).
// In stage it refuses nothing: stage endpoints are local receivers.
type Guard struct {
	Production bool
	Resolver   Resolver // nil: net.DefaultResolver
}

// ErrForbiddenAddress is the refusal of an address the guard forbids.
var ErrForbiddenAddress = errors.New("webhook endpoints may not reach loopback, private, link-local, multicast or metadata addresses")

// cloudMetadata are metadata service addresses outside the ranges above.
var cloudMetadata = []netip.Addr{netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200")}

// cgnat (RFC 6598) is shared address space: a provider's internal network.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Forbidden reports whether a delivery may not go to addr.
func Forbidden(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, m := range cloudMetadata {
		if addr == m {
			return true
		}
	}
	return !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() || cgnat.Contains(addr) ||
		addr == netip.IPv4Unspecified() || addr.Is4() && addr.As4()[0] == 0 || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// CheckURL validates an endpoint URL when it is saved: its form
// (lending.ParseWebhookURL) and, in production, every address its host
// resolves to. The error says why, for the partner to read.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := lending.ParseWebhookURL(raw, g.Production)
	if err != nil {
		return err
	}
	if !g.Production {
		return nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		r := g.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		addrs, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil || len(addrs) == 0 {
			return fmt.Errorf("the host %s does not resolve: check the URL", host)
		}
	}
	for _, a := range addrs {
		if Forbidden(a) {
			return fmt.Errorf("the host %s resolves to %s: %w", host, a.Unmap(), ErrForbiddenAddress)
		}
	}
	return nil
}

// Control is a net.Dialer Control hook that refuses, in production, a
// connection to a forbidden address.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	if !g.Production {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refused to connect to %s: %w", address, ErrForbiddenAddress)
	}
	if Forbidden(ap.Addr()) {
		return fmt.Errorf("refused to connect to %s: %w", ap.Addr().Unmap(), ErrForbiddenAddress)
	}
	return nil
}
