package fanout

import "testing"

type ev struct {
	n    int
	lost int
}

func TestSlowSubscriberLosesAndIsTold(t *testing.T) {
	dropped := map[string]int{}
	h := &Hub[ev]{
		Lost:    func(n int, next ev) ev { return ev{lost: n} },
		Dropped: func(name string, first bool) { dropped[name]++ },
	}
	slow := h.Subscribe("slow", 2)
	fast := h.Subscribe("fast", 100)
	for i := 1; i <= 10; i++ {
		h.Publish(ev{n: i})
	}
	for i := 1; i <= 10; i++ {
		if e := <-fast.C(); e.n != i {
			t.Fatalf("fast got %v, want %d", e, i)
		}
	}
	if e := <-slow.C(); e.n != 1 {
		t.Fatalf("slow got %v", e)
	}
	<-slow.C()
	h.Publish(ev{n: 11})
	if e := <-slow.C(); e.lost != 8 {
		t.Fatalf("slow got %v, want a report of 8 lost", e)
	}
	if dropped["slow"] != 8 || dropped["fast"] != 0 {
		t.Fatalf("dropped = %v", dropped)
	}
	slow.Close()
	slow.Close()
	if e := <-slow.C(); e.n != 11 {
		t.Fatalf("slow got %v, want 11 after the report", e)
	}
	if _, ok := <-slow.C(); ok {
		t.Fatal("closed subscription still open")
	}
	h.Publish(ev{n: 12}) // no panic on a closed subscriber
}
