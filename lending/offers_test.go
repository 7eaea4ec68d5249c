package lending

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseAmountRange(t *testing.T) {
	for _, r := range []AmountRange{RangeHigher, RangeRequested, RangeLower} {
		if got, err := ParseAmountRange(string(r)); err != nil || got != r {
			t.Errorf("ParseAmountRange(%q) = %q, %v", r, got, err)
		}
	}
	for _, bad := range []string{"", "requested", "HIGHER-than-requested-amount"} {
		if _, err := ParseAmountRange(bad); !errors.Is(err, ErrUnknownAmountRange) {
			t.Errorf("ParseAmountRange(%q) error = %v, want ErrUnknownAmountRange", bad, err)
		}
	}
}

func TestParseOfferSort(t *testing.T) {
	tests := map[string]OfferSort{
		"apr": SortByAPR, "payment": SortByPayment, "term": SortByTerm,
		"": SortByAPR, "lender": SortByAPR, "APR": SortByAPR, "term;drop": SortByAPR,
	}
	for in, want := range tests {
		if got := ParseOfferSort(in); got != want {
			t.Errorf("ParseOfferSort(%q) = %q, want %q", in, got, want)
		}
	}
}

func ids(offers []Offer) string {
	var b []string
	for _, o := range offers {
		b = append(b, o.ProductID)
	}
	return strings.Join(b, ",")
}

func TestSortOffers(t *testing.T) {
	base := []Offer{
		{ProductID: "d", APR: 1299, MonthlyPayment: 30000, TermMonths: 36},
		{ProductID: "b", APR: 899, MonthlyPayment: 25000, TermMonths: 60},
		{ProductID: "a", APR: 1299, MonthlyPayment: 25000, TermMonths: 36},
		{ProductID: "c", APR: 899, MonthlyPayment: 40000, TermMonths: 24},
		{ProductID: "e", APR: 2199, MonthlyPayment: 20000, TermMonths: 60},
	}
	tests := []struct {
		by   OfferSort
		want string
	}{
		{SortByAPR, "b,c,a,d,e"},     // APR, then ProductID
		{SortByPayment, "e,b,a,d,c"}, // 20000; 25000 tie → APR (b 899 < a 1299); 30000; 40000
		{SortByTerm, "c,a,d,b,e"},    // 24; 36 tie → APR tie → ProductID; 60 tie → APR
		{"", "b,c,a,d,e"},            // unknown key sorts by APR
		{"bogus", "b,c,a,d,e"},
	}
	for _, tt := range tests {
		t.Run(string(tt.by), func(t *testing.T) {
			offers := slices.Clone(base)
			SortOffers(offers, tt.by)
			if got := ids(offers); got != tt.want {
				t.Errorf("SortOffers(%q) = %s, want %s", tt.by, got, tt.want)
			}
		})
	}
	SortOffers(nil, SortByAPR) // must not panic
}

func offer(id string, r AmountRange, amount Cents, apr BasisPoints) Offer {
	return Offer{ProductID: id, AmountRange: r, LoanAmount: amount, APR: apr}
}

type groupSummary struct {
	Range AmountRange
	IDs   string
}

func summarize(groups []RangeGroup) []groupSummary {
	var out []groupSummary
	for _, g := range groups {
		out = append(out, groupSummary{g.Range, ids(g.Offers)})
	}
	return out
}

func TestGroupOffers(t *testing.T) {
	const requested = Cents(1000000) // $10,000
	tests := []struct {
		name     string
		offers   []Offer
		by       OfferSort
		want     []groupSummary
		fallback bool
	}{
		{"no offers", nil, SortByAPR, nil, false},
		{
			"all three ranges: requested, lower, higher",
			[]Offer{
				offer("h1", RangeHigher, 1500000, 900),
				offer("l1", RangeLower, 500000, 1100),
				offer("r2", RangeRequested, requested, 1200),
				offer("r1", RangeRequested, requested, 800),
				offer("l2", RangeLower, 800000, 700),
			},
			SortByAPR,
			[]groupSummary{{RangeRequested, "r1,r2"}, {RangeLower, "l2,l1"}, {RangeHigher, "h1"}},
			false,
		},
		{
			"requested only",
			[]Offer{offer("r1", RangeRequested, requested, 800)},
			SortByAPR,
			[]groupSummary{{RangeRequested, "r1"}},
			false,
		},
		{
			"requested and higher: higher after requested",
			[]Offer{offer("h1", RangeHigher, 1100000, 900), offer("r1", RangeRequested, requested, 800)},
			SortByAPR,
			[]groupSummary{{RangeRequested, "r1"}, {RangeHigher, "h1"}},
			false,
		},
		{
			"lower only",
			[]Offer{offer("l1", RangeLower, 700000, 900), offer("l2", RangeLower, 900000, 800)},
			SortByAPR,
			[]groupSummary{{RangeLower, "l2,l1"}},
			true,
		},
		{
			"higher only",
			[]Offer{offer("h1", RangeHigher, 1200000, 900)},
			SortByAPR,
			[]groupSummary{{RangeHigher, "h1"}},
			true,
		},
		{
			"lower closer than higher",
			[]Offer{offer("h1", RangeHigher, 1200000, 900), offer("l1", RangeLower, 900000, 900)},
			SortByAPR,
			[]groupSummary{{RangeLower, "l1"}, {RangeHigher, "h1"}},
			true,
		},
		{
			"higher closer than lower",
			[]Offer{offer("l1", RangeLower, 500000, 900), offer("h1", RangeHigher, 1050000, 900)},
			SortByAPR,
			[]groupSummary{{RangeHigher, "h1"}, {RangeLower, "l1"}},
			true,
		},
		{
			"closest uses the nearest offer of each range",
			[]Offer{
				offer("l1", RangeLower, 200000, 900),
				offer("l2", RangeLower, 980000, 900), // $200 short: nearest of all
				offer("h1", RangeHigher, 1100000, 900),
			},
			SortByAPR,
			[]groupSummary{{RangeLower, "l1,l2"}, {RangeHigher, "h1"}},
			true,
		},
		{
			"tie goes to lower",
			[]Offer{offer("h1", RangeHigher, 1100000, 900), offer("l1", RangeLower, 900000, 900)},
			SortByAPR,
			[]groupSummary{{RangeLower, "l1"}, {RangeHigher, "h1"}},
			true,
		},
		{
			"groups sorted by payment",
			[]Offer{
				{ProductID: "r1", AmountRange: RangeRequested, LoanAmount: requested, APR: 800, MonthlyPayment: 40000},
				{ProductID: "r2", AmountRange: RangeRequested, LoanAmount: requested, APR: 1200, MonthlyPayment: 30000},
			},
			SortByPayment,
			[]groupSummary{{RangeRequested, "r2,r1"}},
			false,
		},
		{
			"unknown range placed by amount",
			[]Offer{
				offer("x-low", "", 500000, 900),
				offer("x-eq", "mid", requested, 900),
				offer("x-high", "odd", 2000000, 900),
			},
			SortByAPR,
			[]groupSummary{{RangeRequested, "x-eq"}, {RangeLower, "x-low"}, {RangeHigher, "x-high"}},
			false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := slices.Clone(tt.offers)
			groups, fallback := GroupOffers(input, requested, tt.by)
			if got := summarize(groups); !slices.Equal(got, tt.want) {
				t.Errorf("groups = %v, want %v", got, tt.want)
			}
			if fallback != tt.fallback {
				t.Errorf("fallback = %v, want %v", fallback, tt.fallback)
			}
			if !slices.Equal(input, tt.offers) {
				t.Errorf("GroupOffers modified its input")
			}
			var n int
			for _, g := range groups {
				if len(g.Offers) == 0 {
					t.Errorf("empty group %s returned", g.Range)
				}
				n += len(g.Offers)
			}
			if n != len(tt.offers) {
				t.Errorf("groups hold %d offers, want all %d", n, len(tt.offers))
			}
		})
	}
}
