package lending

import (
	"errors"
	"math"
	"testing"
)

func TestDollarsToCents(t *testing.T) {
	tests := []struct {
		in   float64
		want Cents
	}{
		{0, 0},
		{1, 100},
		{12000, 1200000},
		{1234.56, 123456},
		{0.015, 2},   // half rounds up
		{1.005, 101}, // d*100 in binary is 100.49999…; the decimal form decides
		{8.345, 835},
		{1.004, 100},
		{-0.015, -2}, // half away from zero
		{-1.005, -101},
		{-1.004, -100},
		{0.001, 0},
		{math.NaN(), 0},
		{math.Inf(1), math.MaxInt64},
		{math.Inf(-1), math.MinInt64},
	}
	for _, tt := range tests {
		if got := DollarsToCents(tt.in); got != tt.want {
			t.Errorf("DollarsToCents(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestCentsDollars(t *testing.T) {
	if got := Cents(123456).Dollars(); got != 1234.56 {
		t.Errorf("Dollars() = %v, want 1234.56", got)
	}
	if got := Cents(-5).Dollars(); got != -0.05 {
		t.Errorf("Dollars() = %v, want -0.05", got)
	}
}

func TestCentsString(t *testing.T) {
	tests := []struct {
		in   Cents
		want string
	}{
		{0, "$0.00"},
		{5, "$0.05"},
		{100, "$1.00"},
		{99999, "$999.99"},
		{100000, "$1,000.00"},
		{123456, "$1,234.56"},
		{1200000, "$12,000.00"},
		{123456789, "$1,234,567.89"},
		{-100, "-$1.00"},
		{-123456, "-$1,234.56"},
		{-5, "-$0.05"},
		{math.MinInt64, "-$92,233,720,368,547,758.08"},
		{math.MaxInt64, "$92,233,720,368,547,758.07"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Cents(%d).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCentsWholeDollars(t *testing.T) {
	tests := []struct {
		in   Cents
		want string
	}{
		{0, "$0"},
		{1200000, "$12,000"},
		{1200049, "$12,000"},
		{1200050, "$12,001"},
		{99950, "$1,000"},
		{-1200050, "-$12,001"},
		{-49, "$0"}, // rounds to zero dollars: no "-$0"
		{100000000, "$1,000,000"},
	}
	for _, tt := range tests {
		if got := tt.in.WholeDollars(); got != tt.want {
			t.Errorf("Cents(%d).WholeDollars() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBasisPoints(t *testing.T) {
	conv := []struct {
		in   float64
		want BasisPoints
	}{
		{12.99, 1299},
		{7.99, 799},
		{10, 1000},
		{0.005, 1},
		{35.995, 3600},
		{-1.5, -150},
	}
	for _, tt := range conv {
		if got := PercentToBasisPoints(tt.in); got != tt.want {
			t.Errorf("PercentToBasisPoints(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if got := BasisPoints(1299).Percent(); got != 12.99 {
		t.Errorf("Percent() = %v, want 12.99", got)
	}
	str := []struct {
		in   BasisPoints
		want string
	}{
		{1299, "12.99%"},
		{750, "7.50%"},
		{1000, "10.00%"},
		{5, "0.05%"},
		{0, "0.00%"},
		{-150, "-1.50%"},
	}
	for _, tt := range str {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("BasisPoints(%d).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAmortize(t *testing.T) {
	tests := []struct {
		name                     string
		principal                Cents
		rate                     BasisPoints
		months                   int
		payment, total, interest Cents
	}{
		// M = 10000·(0.1/12)/(1−(1+0.1/12)^−36) = 322.6719
		{"10k at 10% for 36", 1000000, 1000, 36, 32267, 1161612, 161612},
		// M = 12000·(0.0799/12)/(1−(1+0.0799/12)^−60) = 243.2593
		{"12k at 7.99% for 60", 1200000, 799, 60, 24326, 1459560, 259560},
		// M = 5000·(0.15/12)/(1−(1+0.15/12)^−36) = 173.3266
		{"5k at 15% for 36", 500000, 1500, 36, 17333, 623988, 123988},
		{"zero rate divides evenly", 1200000, 0, 60, 20000, 1200000, 0},
		// 1000.00/3 = 333.333… → rounded up so the payments cover the principal
		{"zero rate rounds up", 100000, 0, 3, 33334, 100002, 2},
		{"one month", 100000, 1200, 1, 101000, 101000, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Amortize(tt.principal, tt.rate, tt.months)
			if err != nil {
				t.Fatalf("Amortize: %v", err)
			}
			want := Amortization{MonthlyPayment: tt.payment, TotalRepayment: tt.total, TotalInterest: tt.interest}
			if got != want {
				t.Errorf("Amortize(%d, %d, %d) = %+v, want %+v", tt.principal, tt.rate, tt.months, got, want)
			}
		})
	}
}

func TestAmortizeRejectsInvalidTerms(t *testing.T) {
	tests := []struct {
		name      string
		principal Cents
		rate      BasisPoints
		months    int
	}{
		{"zero principal", 0, 1000, 36},
		{"negative principal", -1, 1000, 36},
		{"zero months", 100000, 1000, 0},
		{"negative months", 100000, 1000, -12},
		{"negative rate", 100000, -1, 36},
		{"overflowing total", math.MaxInt64 / 2, 3600, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Amortize(tt.principal, tt.rate, tt.months)
			if !errors.Is(err, ErrInvalidLoanTerms) {
				t.Errorf("Amortize error = %v, want ErrInvalidLoanTerms", err)
			}
		})
	}
}

func TestAPR(t *testing.T) {
	tests := []struct {
		name                    string
		principal, fee, payment Cents
		months                  int
		want                    BasisPoints
	}{
		// Regulation Z appendix J style check: 36 payments of $166.07 on $5,000 is 12 %.
		{"reg Z 12 percent", 500000, 0, 16607, 36, 1200},
		// $500 fee on $10,000 at 10 %: the borrower gets $9,500 but repays as for $10,000.
		{"fee raises APR", 1000000, 50000, 32267, 36, 1356},
		{"5 percent fee on 12k at 7.99", 1200000, 60000, 24326, 60, 1019},
		{"zero interest, no fee", 120000, 0, 10000, 12, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := APR(tt.principal, tt.fee, tt.payment, tt.months)
			if err != nil {
				t.Fatalf("APR: %v", err)
			}
			if got != tt.want {
				t.Errorf("APR = %d bp, want %d bp", got, tt.want)
			}
		})
	}
}

// With no fee the APR is the note rate; the payment's rounding to the cent may move
// it by a fraction of a basis point, never more than one.
func TestAPRWithoutFeeEqualsInterestRate(t *testing.T) {
	for _, rate := range []BasisPoints{299, 599, 799, 1000, 1299, 1999, 2499, 3599} {
		for _, months := range []int{12, 24, 36, 60, 84} {
			for _, principal := range []Cents{100000, 1000000, 5000000} {
				a, err := Amortize(principal, rate, months)
				if err != nil {
					t.Fatalf("Amortize: %v", err)
				}
				got, err := APR(principal, 0, a.MonthlyPayment, months)
				if err != nil {
					t.Fatalf("APR: %v", err)
				}
				if d := got - rate; d < -1 || d > 1 {
					t.Errorf("APR(%d, 0, %d, %d) = %d bp, want %d ± 1", principal, a.MonthlyPayment, months, got, rate)
				}
			}
		}
	}
}

func TestAPRWithFeeExceedsInterestRate(t *testing.T) {
	a, err := Amortize(1000000, 899, 48)
	if err != nil {
		t.Fatalf("Amortize: %v", err)
	}
	withFee, err := APR(1000000, 30000, a.MonthlyPayment, 48)
	if err != nil {
		t.Fatalf("APR: %v", err)
	}
	if withFee <= 899+50 {
		t.Errorf("APR with a 3%% fee = %d bp, want well above the 899 bp note rate", withFee)
	}
}

func TestAPRRejectsInvalidTerms(t *testing.T) {
	tests := []struct {
		name                    string
		principal, fee, payment Cents
		months                  int
	}{
		{"zero principal", 0, 0, 100, 12},
		{"negative fee", 100000, -1, 10000, 12},
		{"fee swallows principal", 100000, 100000, 10000, 12},
		{"zero payment", 100000, 0, 0, 12},
		{"zero months", 100000, 0, 10000, 0},
		{"payments short of amount financed", 120000, 0, 9999, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := APR(tt.principal, tt.fee, tt.payment, tt.months)
			if !errors.Is(err, ErrInvalidLoanTerms) {
				t.Errorf("APR error = %v, want ErrInvalidLoanTerms", err)
			}
		})
	}
}
