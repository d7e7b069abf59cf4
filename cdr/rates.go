package cdr

import (
	"fmt"
	"math"
	"strings"
)

// Rate prices calls to numbers starting with Prefix.
type Rate struct {
	Prefix string `yaml:"prefix"`
	// PerMinute is the price of a minute.
	PerMinute float64 `yaml:"per_minute"`
	// Increment is the billing step in seconds (60: per started minute,
	// 1: per second). The first step is billed as soon as the call is answered.
	Increment int `yaml:"increment"`
}

// RateTable finds the rate of a number by longest prefix.
type RateTable struct{ rates []Rate }

// NewRateTable validates rates.
func NewRateTable(rates []Rate) (*RateTable, error) {
	seen := map[string]bool{}
	for _, r := range rates {
		if r.Increment <= 0 || r.PerMinute < 0 || math.IsNaN(r.PerMinute) {
			return nil, fmt.Errorf("cdr: rate %q: increment must be positive and per_minute not negative", r.Prefix)
		}
		if seen[r.Prefix] {
			return nil, fmt.Errorf("cdr: rate prefix %q twice", r.Prefix)
		}
		seen[r.Prefix] = true
	}
	return &RateTable{rates: rates}, nil
}

// Price is the price of billsec seconds to number, rounded to 4 decimals;
// 0 when no prefix matches or nothing was billed.
func (t *RateTable) Price(number string, billsec int) float64 {
	var best *Rate
	for i := range t.rates {
		r := &t.rates[i]
		if strings.HasPrefix(number, r.Prefix) && (best == nil || len(r.Prefix) > len(best.Prefix)) {
			best = r
		}
	}
	if best == nil || billsec <= 0 {
		return 0
	}
	steps := (billsec + best.Increment - 1) / best.Increment
	price := float64(steps*best.Increment) * best.PerMinute / 60
	return math.Round(price*1e4) / 1e4
}
