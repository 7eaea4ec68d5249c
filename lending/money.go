package lending

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Cents is an amount of money in US cents. Money is integer cents everywhere inside
// the program so that sums and comparisons are exact; dollars appear only at the
// edges where a seed API speaks in dollars.
type Cents int64

// DollarsToCents converts a dollar amount from an API edge to cents, rounding half
// away from zero. The rounding is done on the shortest decimal form of d, so 1.005
// becomes 101 cents as a person reading "1.005" expects, not 100 as d*100 in binary
// floating point would give. NaN becomes 0; values beyond the range of Cents clamp.
func DollarsToCents(d float64) Cents {
	return Cents(roundHundredths(d))
}

// Dollars returns the amount in dollars, for API edges that speak in dollars.
func (c Cents) Dollars() float64 {
	return float64(c) / 100
}

// String formats the amount for people: "$1,234.56", "-$1.00".
func (c Cents) String() string {
	neg, abs := c < 0, absCents(c)
	s := "$" + groupThousands(abs/100) + fmt.Sprintf(".%02d", abs%100)
	if neg {
		return "-" + s
	}
	return s
}

// WholeDollars formats the amount rounded half away from zero to whole dollars:
// "$12,000". Loan amounts read better without cents.
func (c Cents) WholeDollars() string {
	neg, abs := c < 0, absCents(c)
	dollars := abs / 100
	if abs%100 >= 50 {
		dollars++
	}
	s := "$" + groupThousands(dollars)
	if neg && dollars > 0 {
		return "-" + s
	}
	return s
}

// BasisPoints is a rate in hundredths of a percent: 1299 is 12.99 %. Rates are
// integers for the same reason money is: exact comparison and sorting.
type BasisPoints int

// PercentToBasisPoints converts a percentage (12.99) to basis points (1299), rounding
// half away from zero on the decimal form of p like DollarsToCents.
func PercentToBasisPoints(p float64) BasisPoints {
	return BasisPoints(roundHundredths(p))
}

// Percent returns the rate as a percentage (1299 → 12.99).
func (b BasisPoints) Percent() float64 {
	return float64(b) / 100
}

// String formats the rate with two decimals: "12.99%", "7.50%".
func (b BasisPoints) String() string {
	v := int64(b)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d%%", sign, v/100, v%100)
}

// ErrInvalidLoanTerms is wrapped by Amortize and APR when their inputs cannot
// describe a loan (non-positive principal or term, negative rate, and so on).
var ErrInvalidLoanTerms = errors.New("invalid loan terms")

// Amortization is the repayment schedule summary of a fully amortizing loan.
type Amortization struct {
	MonthlyPayment Cents // rounded to the cent
	TotalRepayment Cents // MonthlyPayment × months
	TotalInterest  Cents // TotalRepayment − principal
}

// Amortize applies the standard amortization formula M = P·r / (1 − (1+r)^−n) with
// r = annualRate / 12, rounding the payment half away from zero to the cent. The
// totals are derived from the rounded payment, because that is what the borrower
// actually pays. At a zero rate the payment is P/n rounded up to the cent, so the
// payments never fall short of the principal.
func Amortize(principal Cents, annualRate BasisPoints, months int) (Amortization, error) {
	switch {
	case principal <= 0:
		return Amortization{}, fmt.Errorf("amortize: principal %d cents must be positive: %w", principal, ErrInvalidLoanTerms)
	case months <= 0:
		return Amortization{}, fmt.Errorf("amortize: term %d months must be positive: %w", months, ErrInvalidLoanTerms)
	case annualRate < 0:
		return Amortization{}, fmt.Errorf("amortize: rate %d bp must not be negative: %w", annualRate, ErrInvalidLoanTerms)
	}

	var payment Cents
	if annualRate == 0 {
		payment = (principal + Cents(months) - 1) / Cents(months)
	} else {
		r := float64(annualRate) / 10000 / 12
		n := float64(months)
		// 1 − (1+r)^−n computed as −expm1(−n·log1p(r)) keeps precision for small rates.
		m := float64(principal) * r / -math.Expm1(-n*math.Log1p(r))
		m = math.Round(m)
		if m <= 0 || m >= math.MaxInt64 || math.IsNaN(m) {
			return Amortization{}, fmt.Errorf("amortize: payment out of range: %w", ErrInvalidLoanTerms)
		}
		payment = Cents(m)
	}
	if payment > math.MaxInt64/Cents(months) {
		return Amortization{}, fmt.Errorf("amortize: total repayment overflows: %w", ErrInvalidLoanTerms)
	}
	total := payment * Cents(months)
	return Amortization{
		MonthlyPayment: payment,
		TotalRepayment: total,
		TotalInterest:  total - principal,
	}, nil
}

// APR returns the annual percentage rate by the Regulation Z actuarial method: the
// nominal annual rate (monthly rate × 12) at which the present value of `months`
// equal monthly payments of `payment` equals the amount financed, principal −
// originationFee. It is found by bisection far tighter than Regulation Z's 0.005 %
// and then rounded to basis points. Payments that do not even repay the amount
// financed (a negative APR) are refused.
func APR(principal, originationFee, payment Cents, months int) (BasisPoints, error) {
	switch {
	case principal <= 0:
		return 0, fmt.Errorf("apr: principal %d cents must be positive: %w", principal, ErrInvalidLoanTerms)
	case originationFee < 0 || originationFee >= principal:
		return 0, fmt.Errorf("apr: origination fee %d cents must be within [0, principal): %w", originationFee, ErrInvalidLoanTerms)
	case payment <= 0:
		return 0, fmt.Errorf("apr: payment %d cents must be positive: %w", payment, ErrInvalidLoanTerms)
	case months <= 0:
		return 0, fmt.Errorf("apr: term %d months must be positive: %w", months, ErrInvalidLoanTerms)
	}
	financed := float64(principal - originationFee)
	pmt, n := float64(payment), float64(months)
	if pmt*n < financed {
		return 0, fmt.Errorf("apr: %d payments of %s do not repay %s: %w", months, payment, principal-originationFee, ErrInvalidLoanTerms)
	}

	// presentValue falls as the monthly rate rises, so bisection converges.
	presentValue := func(i float64) float64 {
		if i == 0 {
			return pmt * n
		}
		return pmt * -math.Expm1(-n*math.Log1p(i)) / i
	}
	lo, hi := 0.0, 0.01
	for presentValue(hi) > financed {
		lo, hi = hi, hi*2
		if hi > 1e6 { // no real loan gets here; stop rather than loop forever
			return 0, fmt.Errorf("apr: rate does not converge: %w", ErrInvalidLoanTerms)
		}
	}
	for range 200 {
		mid := (lo + hi) / 2
		if presentValue(mid) > financed {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-13 {
			break
		}
	}
	annual := (lo + hi) / 2 * 12
	return BasisPoints(math.Round(annual * 10000)), nil
}

// roundHundredths returns round(f × 100) half away from zero, rounding on the
// shortest decimal representation of f so that binary floating-point error in
// values like 1.005 or 8.345 does not flip the result.
func roundHundredths(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64/100:
		return math.MaxInt64
	case f <= math.MinInt64/100:
		return math.MinInt64
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	frac += "000"
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil { // cannot happen after the range checks above
		return 0
	}
	v := w*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if frac[2] >= '5' {
		v++
	}
	if f < 0 {
		return -v
	}
	return v
}

// absCents returns |c| as an unsigned value so that the most negative Cents still
// formats correctly.
func absCents(c Cents) uint64 {
	if c < 0 {
		return uint64(-(c + 1)) + 1
	}
	return uint64(c)
}

// groupThousands writes n with a comma between each group of three digits.
func groupThousands(n uint64) string {
	digits := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}
