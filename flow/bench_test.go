package flow

import (
	"os"
	"testing"

	"github.com/callctl/callctl/store/storetest"
)

// ByExten is what every flow call starts with.
func BenchmarkByExten(b *testing.B) {
	db := storetest.New(b)
	data, err := os.ReadFile("../examples/flows/seed-inbound.yaml")
	if err != nil {
		b.Fatal(err)
	}
	f, err := Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	s := NewStore(db)
	if err := s.Set(f, testCatalog()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.ByExten("200"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
