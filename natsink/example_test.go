package natsink_test

import (
	"context"
	"encoding/json"
	"log"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A consumer of the fleet's stream (the README's example): a durable
// consumer, so that it resumes where it stopped, and a per-call sequence
// check that drops a message sent again after a crash.
func Example_consumer() {
	nc, err := nats.Connect("nats://nats1:4222,nats://nats2:4222,nats://nats3:4222")
	if err != nil {
		log.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	cons, err := js.CreateOrUpdateConsumer(ctx, "CALLCTL", jetstream.ConsumerConfig{
		Durable: "crm", FilterSubject: "callctl.>", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		log.Fatal(err)
	}
	last := map[string]int{} // node_id/linkedid → last seq handled (keep it with your data)
	cc, _ := cons.Consume(func(m jetstream.Msg) {
		var h struct {
			NodeID   string `json:"node_id"`
			Linkedid string `json:"linkedid"`
			Change   string `json:"change"`
			Seq      int    `json:"seq"`
		}
		json.Unmarshal(m.Data(), &h)
		if key := h.NodeID + "/" + h.Linkedid; h.Seq > last[key] {
			last[key] = h.Seq
			log.Printf("%s %s #%d: %s", h.NodeID, h.Change, h.Seq, m.Data())
		}
		m.Ack()
	})
	defer cc.Stop()
	select {}
}
